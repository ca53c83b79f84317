"""The first scan on a freshly loaded screen is as quick as the ones after it (issue 19, item 8).

Two causes were found: the scan's sound opened the audio device (new AudioContext) inside the
first answer, before the screen could paint it; and gunicorn closed an idle connection after
2 s, so the first scan after a pause paid a new connection. Now the audio device opens at the
first keystroke and the sound plays after the frame; the server keeps connections 75 s.
"""
import statistics

import pytest

from tests.e2e.test_core_e2e import seeded  # noqa: F401 (fixture)
from tests.e2e.test_core_e2e import sign_in

pytestmark = pytest.mark.browser

INSTRUMENT = """() => {
  window.__t = [];
  let t0 = 0;
  document.addEventListener('keydown', e => { if (e.key === 'Enter') t0 = performance.now(); }, true);
  const done = () => {
    const swapped = performance.now();
    requestAnimationFrame(() => setTimeout(() => window.__t.push([swapped - t0, performance.now() - t0]), 0));
  };
  document.addEventListener('scan-ok', done);
  document.addEventListener('scan-error', done);
}"""

# Record when (and during what) the page opens its audio device.
AUDIO_PROBE = """
(() => {
  const Real = window.AudioContext;
  if (!Real) return;
  window.__audio = [];
  window.AudioContext = function () {
    window.__audio.push({at: performance.now(), scans: performance.getEntriesByType('resource')
      .filter(e => e.name.endsWith('/scan')).length});
    return new Real();
  };
})();
"""


def screen_timings(page, codes):
    """Scan each code; return per scan (ms from Enter to the answer swapped in, to the next frame)."""
    page.evaluate(INSTRUMENT)
    for n, code in enumerate(codes, start=1):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        page.wait_for_function(f"window.__t.length >= {n}")
    return page.evaluate("window.__t")


def test_server_keeps_a_scanners_connection_between_scans():
    from wms.cli import gunicorn_options

    assert gunicorn_options("127.0.0.1", 8000, 2, 8)["keepalive"] >= 30


def test_first_scan_on_a_fresh_screen_does_not_open_the_audio_device(phone, live_server, seeded):  # noqa: F811
    phone.add_init_script(AUDIO_PROBE)
    sign_in(phone, live_server.url)
    firsts, later = [], []
    for _ in range(3):
        phone.goto(live_server.url + "/handheld/move")
        phone.wait_for_load_state("networkidle")
        phone.wait_for_timeout(500)  # the screen idles a moment before the first scan
        timings = screen_timings(phone, [seeded["source"], seeded["barcode"], seeded["barcode"],
                                         seeded["barcode"]])
        audio = phone.evaluate("window.__audio")
        # Opened once, while the fresh screen idled, before the first scan: not in its answer.
        assert len(audio) == 1 and audio[0]["scans"] == 0, audio
        firsts.append(timings[0][1])
        later += [t[1] for t in timings[1:]]
        phone.get_by_role("button", name="Cancel move").click()
        phone.wait_for_timeout(200)
    print(f"first scans {[round(f) for f in firsts]} ms, later median {statistics.median(later):.0f} ms")
    # Loose (the test machine is shared): the first is in line with the others.
    assert statistics.median(firsts) <= 3 * statistics.median(later) + 60
