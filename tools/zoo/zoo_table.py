#!/usr/bin/python3
"""Prints the model-zoo table (markdown) from the cards in resources/models/."""
from __future__ import annotations

import json
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(ROOT, "resources", "models")
ORDER = ["resnet8", "mobilenetv2", "shufflenetv2", "ghostnet", "condensenext", "asymmnet",
         "leanresnet", "densenet", "resnet8-ee", "resnet8-slim"]


def main() -> None:
    cards = {}
    for f in os.listdir(MODELS):
        if f.endswith(".json"):
            with open(os.path.join(MODELS, f)) as fh:
                c = json.load(fh)
            cards[c["name"]] = c
    names = [n for n in ORDER if n in cards] + sorted(n for n in cards if n not in ORDER)
    print("| Model | Family | Paper | Top-1 (test) | Params | MACs | File |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for n in names:
        c = cards[n]
        note = ""
        if "earlyExit" in c:
            e = c["earlyExit"]["exits"][0]
            note = f" (exit1: {e['top1'] * 100:.2f} % at {e['macs'] / 1e6:.2f} M MACs)"
        if "slimming" in c:
            note = f" (pruned {c['slimming']['pruningRatio'] * 100:.0f} % of block-internal channels)"
        print(f"| `{n}` | {c['family']} | {c['paper']['title']} ({c['paper']['year']}) | "
              f"{c['top1'] * 100:.2f} %{note} | {c['params']:,} | {c['macs'] / 1e6:.2f} M | "
              f"{c['fileBytes'] / 1024:.0f} KiB |")


if __name__ == "__main__":
    main()
