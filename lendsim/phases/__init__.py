"""The month's phases, one module each, in the order `LendingMarket.step()` runs them.

Each phase is a small function (or a small object) over the columnar state. It changes the state it
is handed and returns what happened — decisions, settlements, costs — as a small frozen dataclass
of arrays and floats. No phase reads the monthly records: `LendingMarket.step()` hands each outcome
to the next phase that needs it and to `records.MonthlyRecords`, the one place where outcomes become
rows of the monthly table.

demand          who needs credit this month, and who is free to ask
intake          requests meet the system: capacity, downtime, retries
account_checks  account upkeep, velocity and identity checks; freezes and their lifting
routing         new applications: closed sectors, the engine's decision or a reviewer's queue
drawdown        drawdowns on a line on show, re-checked with this month's parameters
review          the reviewers' month: applications, appeals and frozen accounts
decisions       the month's decisions as columns, and what borrowers learn from them
origination     lending room under capital, leverage, partners and the regulator; new loans and lines
collection      repayment out of cash flow; the book at month end
shadow          the counterfactual book of refused offers (false rejections and refusals)
profit          the month's P&L, which moves capital
scores          credit scores after the month's repayments
month_end       score freezes, appeals, the risk model's re-estimation, the frozen stock
supervision     the rules and action in force; the regulator's inspection
records         what each outcome adds to the monthly records
"""
