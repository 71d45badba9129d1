"""A retrieval-augmented prompt whose retriever returned one document twice."""

from __future__ import annotations

from typing import Any

SYSTEM = (
    "You are the support assistant of Northwind Cloud. Answer only from the "
    "documents in the user's message. If the documents do not answer the "
    "question, say so and point to support@northwind.example. Quote section "
    "numbers when you use them."
)
REFUNDS = """Section 4.2 Refunds

Northwind Cloud refunds unused prepaid credit within 14 days of a written \
request to billing@northwind.example. Refunds go back to the card or bank \
account that paid for the credit; they are never paid out as cash or moved to \
another customer's account. Credit granted for free, through promotions or as \
compensation for an outage, is not refundable.

Annual plans cancelled within the first 30 days are refunded in full, minus \
any usage above the plan's included quota at list price. After 30 days an \
annual plan is not refunded, but it can be downgraded at the next renewal date.

A refund request must include the invoice number (for example INV-2024-00813), \
the amount and the reason. Requests for invoices older than 12 months are \
declined."""
CHARGEBACKS = """Section 4.5 Chargebacks

When a customer opens a chargeback with their card issuer, the account is \
suspended until the dispute is resolved. Running workloads keep running for 72 \
hours; after that, virtual machines are stopped but disks and snapshots are kept \
for 30 days.

Support agents must not promise a refund while a chargeback is open. They \
should link the customer to the dispute policy at northwind.example/disputes \
and offer to withdraw the suspension as soon as the issuer confirms that the \
chargeback was cancelled."""
CREDITS = """Section 2.1 Service credits

If monthly uptime of a region falls below 99.9%, customers receive service \
credits of 10% of that region's monthly charges; below 99.0%, 25%. Credits are \
applied automatically to the next invoice and expire after 12 months. They \
cannot be exchanged for cash and do not count as prepaid credit for refunds."""


def request() -> dict[str, Any]:
    documents = [REFUNDS, CHARGEBACKS, CREDITS, REFUNDS]
    context = "\n\n".join(
        f'<document id="{index}" source="policies.pdf">\n{text}\n</document>'
        for index, text in enumerate(documents, start=1)
    )
    user = (
        "Hi there!\nI hope you're doing well.\n\n"
        f"{context}\n\n"
        "Question: I paid 1,200 USD for an annual plan on March 3 and opened a "
        "chargeback last week by mistake. Can I still get a refund, and what "
        "happens to my VMs in the meantime?\n\nThanks in advance!"
    )
    return {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": user},
        ],
    }
