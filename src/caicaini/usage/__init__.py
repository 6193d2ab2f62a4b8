"""The customer's view of what was spent: usage with filters and totals, the dashboard's
summary and chart, CSV export and receipts written for a person."""
