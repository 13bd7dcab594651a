"""Underwriting: what the platform believes about an applicant (scoring), the automated rules and
offer (automated), and people in the loop (review)."""
