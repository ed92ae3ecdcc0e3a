"""A FIFO (or other non-regular file) given as an input is refused at once with mwt.IoError,
never waited on: each call runs on a worker thread with a deadline, and a writer is opened on
the FIFO to release a reader a regression would leave blocked in open()."""

import os
import threading

import pytest

import mwt


def _refused_promptly(call, fifo):
    result = {}

    def run():
        try:
            call()
        except BaseException as e:  # noqa: BLE001 - handed to the test thread
            result["error"] = e

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(10)
    blocked = worker.is_alive()
    while worker.is_alive():  # release it so the test run ends
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
        worker.join(0.1)
    assert not blocked, "the call blocked on a FIFO"
    return result.get("error")


@pytest.mark.parametrize("name", ["pipe.gguf", "pipe.safetensors", "pipe"])
@pytest.mark.parametrize("api", ["open", "detect_format"])
def test_fifo_is_refused_with_io_error(tmp_path, name, api):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    err = _refused_promptly(lambda: getattr(mwt, api)(fifo), str(fifo))
    assert isinstance(err, mwt.IoError), err
    assert "is a FIFO" in str(err) and name in str(err)
    assert isinstance(err, OSError)


def test_character_device_is_named():
    with pytest.raises(mwt.IoError, match="is a character device"):
        mwt.open("/dev/null")
