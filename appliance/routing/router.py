"""The router: finds where a request may be routed and judges whether it should.

`candidate` needs no model: the route table and the never-route rules.
`verdict` then weighs the request's difficulty from the vector of its
instruction, so a request that cannot be routed is never embedded.
"""

from __future__ import annotations

import logging
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from appliance.routing.capabilities import Catalog
from appliance.routing.classifier import DifficultyClassifier, Verdict
from appliance.routing.examples import (
    EMBED_CHARS,
    ExampleBank,
    SyncEmbedder,
    load_examples,
)
from appliance.routing.features import Features, features_of
from appliance.routing.fit import refusal
from appliance.routing.needs import needs_of
from appliance.routing.prompt import Prompt, read_prompt
from appliance.routing.table import Route, RouteTable

log = logging.getLogger(__name__)
TOKEN_MARGIN = 1.25


class PromptCounter(Protocol):
    def count_request(self, protocol: str, body: dict[str, Any]) -> int:
        """Approximate prompt tokens of a chat body, images included."""
        ...


@dataclass(frozen=True)
class Candidate:
    """A request that the cheaper model of `route` could take as it is."""

    route: Route
    prompt: Prompt
    features: Features

    @property
    def text(self) -> str:
        """What is embedded for the vote: the instruction, not quoted material."""
        return self.prompt.instruction[:EMBED_CHARS]


class Router:
    def __init__(
        self,
        table: RouteTable,
        classifier: DifficultyClassifier,
        tokens: PromptCounter,
    ) -> None:
        self._table = table
        self.classifier = classifier
        self._tokens = tokens

    def candidate(
        self, provider: str, body: dict[str, Any], overrides: Mapping[str, str]
    ) -> Candidate | None:
        """The route `body` could take, or None when it must stay where it is."""
        model = body.get("model")
        route = (
            self._table.route(provider, model, overrides)
            if isinstance(model, str)
            else None
        )
        if route is None:
            return None
        prompt = read_prompt(body)
        if not prompt.instruction.strip():
            log.debug("not routing %s: no instruction text to judge", model)
            return None
        needs = needs_of(body, prompt)
        reason = refusal(
            needs, route.target, lambda: self._prompt_tokens(provider, body)
        )
        if reason is not None:
            log.debug("not routing %s to %s: %s", model, route.target.name, reason)
            return None
        return Candidate(route, prompt, features_of(prompt, needs))

    def verdict(self, candidate: Candidate, vector: np.ndarray) -> Verdict:
        return self.classifier.verdict(candidate.features, vector)

    def _prompt_tokens(self, provider: str, body: dict[str, Any]) -> int:
        """With a margin: other providers' tokenizers split text more finely
        than the tiktoken encodings the count is made with."""
        return math.ceil(self._tokens.count_request(provider, body) * TOKEN_MARGIN)


def load_route_table(models_file: Path) -> RouteTable:
    """The capability table and default routes of appliance/routing/data/models.toml."""
    with models_file.open("rb") as handle:
        data = tomllib.load(handle)
    catalog = Catalog.from_mapping(data.get("models", {}))
    return RouteTable.from_mapping(catalog, data.get("routes", {}))


def build_router(
    models_file: Path,
    examples_file: Path,
    embedder: SyncEmbedder,
    tokens: PromptCounter,
) -> Router:
    """Read the model table and the examples, and embed the examples once."""
    table = load_route_table(models_file)
    examples = load_examples(examples_file)
    bank = ExampleBank.embed(examples, embedder)
    log.info(
        "routing: %d models, %d examples embedded",
        len(table.catalog.models),
        len(examples),
    )
    return Router(table, DifficultyClassifier(bank), tokens)
