"""Underwriting: what the platform believes about an applicant (scoring, model_risk), the automated
rules and offer (automated), closed sectors and regions (policy), people in the loop (review), and
the month's engine that answers every phase's questions under the rules in force (engine). The
phases that decide (lendsim.phases) use these; nothing here imports a phase or an agent."""
