"""Invoices: amounts are integer cents."""


def issue_invoice(lines: list[tuple[str, int]]) -> int:
    """The total of an invoice in cents."""
    return sum(cents for _, cents in lines)
