"""A 60-turn chat: a migration project discussed with an assistant.

Like many chat apps, this one repeats its role statement at the top of each
user message; the assistant's answers carry the usual filler.
"""

from __future__ import annotations

from typing import Any

ROLE = "You are Sage, the data-migration assistant of Contoso Ltd."
TABLES = ["customers", "orders", "invoices", "shipments", "returns", "products"]
QUESTIONS = [
    "How should we migrate the {table} table ({rows} rows) from MySQL 5.7 to "
    "PostgreSQL 16 without downtime?",
    "The {table} export took {minutes} minutes last night. Can we make it faster?",
    "Which indexes do we need on {table} after the move? Queries filter by "
    "customer_id and created_at.",
    "We found {rows} rows in {table} with invalid UTF-8. What should we do with them?",
    "How do we check that {table} has the same data on both sides after the copy?",
]
ANSWERS = [
    "Great question! For {table}, run the initial copy with pg_dump-compatible "
    "batches of 50,000 rows, then replay changes from the MySQL binlog with "
    "Debezium until the lag is under one second, and switch the application's "
    "connection string during a five-minute write freeze.",
    "The {minutes}-minute export is dominated by the single-threaded dump. Split "
    "{table} by primary-key ranges into eight parallel workers and write CSV "
    "with COPY on the PostgreSQL side; expect roughly a fifth of the time.",
    "Create a composite B-tree index on (customer_id, created_at) for {table}, "
    "built CONCURRENTLY after the bulk load, and drop the old single-column "
    "index on created_at once the query plans use the new one.",
    "Move the {rows} rows with invalid UTF-8 in {table} to a quarantine table "
    "with their original bytes in a bytea column, then fix them with the "
    "business owners instead of guessing an encoding.",
    "Compare row counts and an ordered hash of each primary-key range of "
    "{table} on both sides; re-copy only the ranges whose hashes differ.",
]
STEPS = (
    "\n\nSteps for {table}:\n"
    "1. Snapshot the source and record the binlog position.\n"
    "2. Copy in batches and log each batch's first and last key.\n"
    "3. Verify counts and checksums per key range.\n"
    "4. Keep the old table read-only for 7 days before dropping it.\n\n"
    "```sql\n"
    "SELECT count(*), min(id), max(id) FROM {table};\n"
    "SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM {table}\n"
    "  WHERE id BETWEEN :low AND :high;\n"
    "```"
)
FILLER = "\n\nI hope this helps! Let me know if you have any other questions."


def _exchange(turn: int) -> list[dict[str, Any]]:
    values = {
        "table": TABLES[turn % len(TABLES)],
        "rows": f"{(turn + 3) * 12_500:,}",
        "minutes": 40 + turn,
    }
    question = QUESTIONS[turn % len(QUESTIONS)].format(**values)
    answer = (ANSWERS[turn % len(ANSWERS)] + STEPS).format(**values)
    greeting = "Hi again!\n" if turn % 4 == 0 else ""
    return [
        {"role": "user", "content": f"{ROLE}\n{greeting}{question}"},
        {"role": "assistant", "content": answer + FILLER},
    ]


def request() -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": ROLE}]
    for turn in range(60):
        messages.extend(_exchange(turn))
    messages.append(
        {
            "role": "user",
            "content": f"{ROLE}\nSummarize the plan for orders in 5 bullets.",
        }
    )
    return {"model": "gpt-4o", "messages": messages}
