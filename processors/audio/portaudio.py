"""Starting PortAudio (``import sounddevice``) without keeping every ALSA plugin loaded.

PortAudio's ALSA host lists devices by opening every PCM the ALSA configuration defines, and each
open loads that PCM's plugin; ALSA keeps them loaded until its global configuration is freed. On
Debian the a52 encoder plugin alone maps FFmpeg's codecs (libavcodec and ~90 libraries under
it): ~11 MiB resident for devices teddy never opens. Once the list is built, teddy frees that
configuration (``snd_config_update_free_global``, what PortAudio itself calls when it shuts
down): ALSA unloads every plugin no open stream holds, and the next stream open reads the
configuration again and loads only its own plugin.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import sys
from types import ModuleType

log = logging.getLogger(__name__)


def import_sounddevice() -> ModuleType:
    """The sounddevice module; its first import starts PortAudio. Raises what the import raises
    (OSError without libportaudio2, ImportError without sounddevice)."""
    first = "sounddevice" not in sys.modules
    import sounddevice

    if first:
        release_alsa_plugins()
    module: ModuleType = sounddevice
    return module


def restart(sd: ModuleType) -> None:
    """Re-enumerate devices: terminate and start PortAudio again (no stream may be open)."""
    with contextlib.suppress(Exception):
        sd._terminate()
    sd._initialize()
    release_alsa_plugins()


def release_alsa_plugins() -> bool:
    """Free ALSA's global configuration, which unloads the plugins no open PCM uses; False where
    there is no ALSA library (nothing to release)."""
    try:
        alsa = ctypes.CDLL("libasound.so.2")
    except OSError:
        return False
    result = int(alsa.snd_config_update_free_global())
    if result < 0:  # never fatal: the plugins simply stay loaded
        log.debug("snd_config_update_free_global failed: %d", result)
    return result >= 0
