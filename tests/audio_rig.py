"""PulseAudio virtual-audio rig: a private PulseAudio server with a virtual microphone and speaker.

Loaded as a pytest plug-in by ``tests/conftest.py``; the session-scoped ``audio_rig`` fixture is
available to every test module without imports.

Topology (see docs / issue 3)::

    paplay --device=mic_in  ->  [null sink mic_in]  ->  mic_in.monitor  ->  [remap source mic]
                                                                             (default source)
    the bear (default sink) ->  [null sink speaker] ->  speaker.monitor  ->  parecord

PortAudio reaches the server through the ALSA ``pulse``/``default`` devices (libasound2-plugins)
once ``PULSE_SERVER`` is set. The fixture sets ``os.environ["PULSE_SERVER"]`` for the session and
re-initialises PortAudio if ``sounddevice`` was already imported (PortAudio enumerates devices once,
at initialisation). Two ``pacat -r`` readers keep both null sinks ticking in small chunks; without
them the first capture callback arrives up to ~2 s late and the start of a recording is lost.

Makers without hardware can run the same rig by hand: ``python -m tests.audio_rig`` prints the
``PULSE_SERVER`` to export. Debian packages: libportaudio2 libasound2-plugins pulseaudio
pulseaudio-utils (+ espeak-ng for test speech).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.portaudio import reinit_portaudio, release_portaudio

START_TIMEOUT_S = 15.0


def _wait_for(predicate: object, timeout: float, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError(f"audio rig: timed out waiting for {what}")


@dataclass
class Recording:
    """A running ``parecord`` of ``speaker.monitor``; ``stop()`` returns the WAV path."""

    path: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> Path:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # parecord finalises the WAV header on SIGINT
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.path


@dataclass
class AudioRig:
    """A private PulseAudio server. Use :attr:`env` for subprocesses that should reach it."""

    workdir: Path
    server_process: subprocess.Popen[bytes] | None = None
    keepalive: list[subprocess.Popen[bytes]] = field(default_factory=list)
    mic_module: int | None = None
    _recordings: int = 0

    # -- addresses -------------------------------------------------------------------------
    @property
    def socket(self) -> Path:
        return self.workdir / "native"

    @property
    def server(self) -> str:
        """The ``PULSE_SERVER`` value, ``unix:<socket>``."""
        return f"unix:{self.socket}"

    @property
    def env(self) -> dict[str, str]:
        """A copy of ``os.environ`` with ``PULSE_SERVER`` pointing at this rig."""
        env = dict(os.environ)
        env["PULSE_SERVER"] = self.server
        env.pop("PULSE_SINK", None)
        env.pop("PULSE_SOURCE", None)
        return env

    # -- server lifecycle ------------------------------------------------------------------
    def _config(self) -> str:
        return "\n".join(
            [
                f"load-module module-native-protocol-unix socket={self.socket} auth-anonymous=1",
                "load-module module-null-sink sink_name=speaker",
                "load-module module-null-sink sink_name=mic_in",
                "load-module module-remap-source master=mic_in.monitor source_name=mic",
                "set-default-sink speaker",
                "set-default-source mic",
                "",
            ]
        )

    def start_server(self) -> None:
        """Start the server (and its keep-alive readers); returns once clients can connect."""
        if self.server_process is not None and self.server_process.poll() is None:
            return
        config = self.workdir / "rig.pa"
        config.write_text(self._config())
        runtime = self.workdir / "runtime"
        runtime.mkdir(exist_ok=True)
        env = dict(os.environ)
        env.update(
            XDG_RUNTIME_DIR=str(runtime),
            PULSE_RUNTIME_PATH=str(runtime),
            PULSE_STATE_PATH=str(self.workdir / "state"),
            HOME=str(self.workdir),
        )
        env.pop("PULSE_SERVER", None)
        self.socket.unlink(missing_ok=True)
        log = (self.workdir / "pulseaudio.log").open("ab")
        self.server_process = subprocess.Popen(
            [
                "pulseaudio",
                "--daemonize=no",
                "-n",
                "-F",
                str(config),
                "--exit-idle-time=-1",
                "--realtime=no",
                "--high-priority=no",
                "--log-level=notice",
                "--disallow-exit",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        log.close()
        _wait_for(self._server_answers, START_TIMEOUT_S, "pulseaudio to accept clients")
        self.mic_module = self._module_index("module-remap-source")
        self._start_keepalive()

    def _server_answers(self) -> bool:
        if self.server_process is None or self.server_process.poll() is not None:
            raise RuntimeError(f"pulseaudio exited; log:\n{self.log_tail()}")
        if not self.socket.exists():
            return False
        result = subprocess.run(
            ["pactl", "info"], env=self.env, capture_output=True, timeout=5, check=False
        )
        return result.returncode == 0

    def _start_keepalive(self) -> None:
        self._stop_keepalive()
        for device in ("mic", "speaker.monitor"):
            self.keepalive.append(
                subprocess.Popen(
                    ["pacat", "-r", "--latency-msec=10", f"--device={device}"],
                    env=self.env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    stdin=subprocess.DEVNULL,
                    preexec_fn=_die_with_parent,
                )
            )

    def _stop_keepalive(self) -> None:
        for proc in self.keepalive:
            _terminate(proc)
        self.keepalive.clear()

    def kill_server(self) -> None:
        """Kill the server abruptly (SIGKILL), as if the audio device vanished."""
        self._stop_keepalive()
        if self.server_process is not None:
            with contextlib.suppress(ProcessLookupError):
                self.server_process.kill()
            self.server_process.wait()
            self.server_process = None
        self.socket.unlink(missing_ok=True)

    def stop_server(self) -> None:
        """Stop the server cleanly (SIGTERM)."""
        self._stop_keepalive()
        if self.server_process is not None:
            _terminate(self.server_process)
            self.server_process = None
        self.socket.unlink(missing_ok=True)

    def restart_server(self) -> None:
        self.kill_server()
        self.start_server()

    @property
    def running(self) -> bool:
        return self.server_process is not None and self.server_process.poll() is None

    # -- the microphone source -------------------------------------------------------------
    def unload_mic(self) -> None:
        """Unload the ``mic`` remap source (a device unplugged while the server keeps running)."""
        if self.mic_module is not None:
            self.pactl("unload-module", str(self.mic_module))
            self.mic_module = None

    def reload_mic(self) -> None:
        """Load the ``mic`` source again and make it the default source."""
        if self.mic_module is None:
            out = self.pactl(
                "load-module", "module-remap-source", "master=mic_in.monitor", "source_name=mic"
            )
            self.mic_module = int(out.strip())
            self.pactl("set-default-source", "mic")
            self._start_keepalive()

    def _module_index(self, name: str) -> int | None:
        for line in self.pactl("list", "short", "modules").splitlines():
            parts = line.split("\t")
            if len(parts) >= 2 and parts[1] == name:
                return int(parts[0])
        return None

    # -- clients ---------------------------------------------------------------------------
    def pactl(self, *args: str) -> str:
        result = subprocess.run(
            ["pactl", *args], env=self.env, capture_output=True, text=True, timeout=10, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def play_into_mic(
        self, wav: str | os.PathLike[str], *, wait: bool = True
    ) -> subprocess.Popen[bytes]:
        """Play a WAV into the virtual mic in real time (``paplay --device=mic_in``).

        With ``wait=True`` (default) returns after playback ends; otherwise returns the running
        process (call ``.wait()`` on it).
        """
        proc = subprocess.Popen(
            ["paplay", "--device=mic_in", str(wav)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        if wait:
            _, err = proc.communicate(timeout=300)
            if proc.returncode != 0:
                raise RuntimeError(f"paplay failed ({proc.returncode}): {err.decode().strip()}")
        return proc

    def record_speaker(
        self, path: str | os.PathLike[str] | None = None, *, rate: int = 16000, channels: int = 1
    ) -> Recording:
        """Start recording ``speaker.monitor`` (what the bear says) to a WAV; ``.stop()`` it."""
        if path is None:
            self._recordings += 1
            path = self.workdir / f"speaker-{self._recordings}.wav"
        out = Path(path)
        proc = subprocess.Popen(
            [
                "parecord",
                "--device=speaker.monitor",
                "--latency-msec=20",
                f"--rate={rate}",
                f"--channels={channels}",
                "--format=s16le",
                "--file-format=wav",
                str(out),
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        return Recording(path=out, process=proc)

    @contextlib.contextmanager
    def recording(self, path: str | os.PathLike[str] | None = None) -> Iterator[Recording]:
        rec = self.record_speaker(path)
        try:
            yield rec
        finally:
            rec.stop()

    def log_tail(self, lines: int = 30) -> str:
        log = self.workdir / "pulseaudio.log"
        if not log.exists():
            return "(no log)"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def close(self) -> None:
        self.stop_server()


def _load_prctl() -> Callable[..., int] | None:
    # Resolved here, in the parent: a dlopen in a forked child of a threaded process can abort
    # in ld.so ("Inconsistency detected by ld.so: dl-open.c").
    try:
        import ctypes

        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
        return prctl
    except Exception:
        return None


_PRCTL = _load_prctl()


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test process dies (no orphan servers)."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def audio_rig() -> Iterator[AudioRig]:
    """A running PulseAudio rig for the whole session; ``PULSE_SERVER`` is set in os.environ."""
    for tool in ("pulseaudio", "pactl", "pacat", "paplay", "parecord"):
        if shutil.which(tool) is None:
            pytest.skip(
                f"audio rig needs '{tool}' (Debian: apt-get install pulseaudio pulseaudio-utils)"
            )
    workdir = Path(tempfile.mkdtemp(prefix="teddy-pulse-"))
    rig = AudioRig(workdir=workdir)
    previous = os.environ.get("PULSE_SERVER")
    try:
        rig.start_server()
        os.environ["PULSE_SERVER"] = rig.server
        reinit_portaudio()
        yield rig
    finally:
        # The session is over: PortAudio lets go while the server runs and is not started again
        # (a re-init here once hung a CI run in Pa_Initialize, on a lock a SIGKILL had left).
        release_portaudio()
        rig.close()
        if previous is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = previous
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    """Run the rig by hand (makers without hardware): ``python -m tests.audio_rig``."""
    workdir = Path(tempfile.mkdtemp(prefix="teddy-pulse-"))
    rig = AudioRig(workdir=workdir)
    rig.start_server()
    print(
        f"virtual audio rig running (Ctrl-C stops it). In another shell:\n"
        f"  export PULSE_SERVER={rig.server}\n"
        f"  teddy run                                  # listens on the virtual mic\n"
        f"  paplay --device=mic_in speech.wav          # speak to the bear\n"
        f"  parecord --device=speaker.monitor out.wav  # hear the bear",
        flush=True,
    )
    stop = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # a second Ctrl-C must not break cleanup
    try:
        signal.sigwait(stop)
    finally:
        rig.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
