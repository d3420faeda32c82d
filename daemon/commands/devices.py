"""`teddy devices`: list audio inputs and outputs (index, name, channels, default rate)."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "devices",
        help="list audio input/output devices: index, name, channels, default rate",
        description="List the audio devices PortAudio sees. Use the index or a part of the name "
        "as audio.input_device / --input.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per device")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from daemon.hearing.devices import AudioUnavailable, list_devices

    try:
        found = list_devices()
    except AudioUnavailable as exc:
        print(f"teddy devices: {exc}", file=sys.stderr)
        return 1
    if args.json:
        for d in found:
            print(
                json.dumps(
                    {
                        "index": d.index,
                        "name": d.name,
                        "hostapi": d.hostapi,
                        "input_channels": d.max_input_channels,
                        "output_channels": d.max_output_channels,
                        "default_samplerate": d.default_samplerate,
                        "default_input": d.default_input,
                        "default_output": d.default_output,
                    }
                )
            )
        return 0
    if not found:
        print("no audio devices found (is a sound server or card available?)")
        return 0
    print(f"{'':2}{'index':>5}  {'in':>3} {'out':>3}  {'rate':>7}  name")
    for d in found:
        mark = ("<" if d.default_input else " ") + (">" if d.default_output else " ")
        print(
            f"{mark}{d.index:>5}  {d.max_input_channels:>3} {d.max_output_channels:>3}  "
            f"{d.default_samplerate:>7.0f}  {d.name} ({d.hostapi})"
        )
    print("< default input, > default output")
    return 0
