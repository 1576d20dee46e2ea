"""wrk, the load generator: one run of a Lua script, and its figures as the script reports them."""

import json
import subprocess
import tempfile

from bench.cpus import WRK_CPU
from bench.model import WrkRun

WRK = "wrk"
TIMEOUT_S = 10  # a request without a response by then counts as a timeout error
MARKER = "BENCH_JSON "  # starts the line that FIGURES_LUA writes

# wrk calls done() once, after the run, with every figure: written as one line of JSON, read
# instead of wrk's text report, which rounds its latencies and stops at the 99th percentile.
FIGURES_LUA = """
local percentiles = {{"p50", 50}, {"p75", 75}, {"p90", 90}, {"p99", 99}, {"p999", 99.9}}
local error_kinds = {"connect", "read", "write", "timeout", "status"}

done = function(summary, latency, requests)
  local errors, latency_us = {}, {}
  for _, kind in ipairs(error_kinds) do
    errors[#errors + 1] = string.format('"%s":%d', kind, summary.errors[kind])
  end
  for _, pair in ipairs(percentiles) do
    latency_us[#latency_us + 1] = string.format('"%s":%d', pair[1], latency:percentile(pair[2]))
  end
  latency_us[#latency_us + 1] = string.format('"max":%d,"mean":%.1f', latency.max, latency.mean)
  io.write(string.format('\\nBENCH_JSON {"requests":%d,"duration_us":%d,"errors":{%s},' ..
    '"latency_us":{%s}}\\n', summary.requests, summary.duration, table.concat(errors, ","),
    table.concat(latency_us, ",")))
end
"""


def script(requests_lua: str) -> str:
    """A whole wrk script: a workload's requests, and the callback that reports the figures."""
    return requests_lua + FIGURES_LUA


def figures(output: str) -> WrkRun:
    """The run, from the line that the script's done() wrote into wrk's output."""
    line = next((line for line in output.splitlines() if line.startswith(MARKER)), None)
    if line is None:
        raise ValueError(f"no figures from the script's done() in wrk's output:\n{output}")
    reported = json.loads(line.removeprefix(MARKER))
    errors = reported["errors"]
    duration_s = reported["duration_us"] / 1_000_000
    return WrkRun(
        requests=reported["requests"],
        duration_s=round(duration_s, 2),
        requests_per_s=round(reported["requests"] / duration_s, 2),  # as wrk's Requests/sec
        non_2xx=errors["status"],  # wrk's "Non-2xx or 3xx responses": status 400 and above
        socket_errors={kind: errors[kind] for kind in ("connect", "read", "write", "timeout")},
        latency_ms={name: round(value / 1000, 3) for name, value in reported["latency_us"].items()},
    )


def command(url: str, script_path: str, *, seconds: int, connections: int) -> list[str]:
    """wrk on its own core, one thread, a fixed number of connections."""
    return [
        "taskset",
        "-c",
        str(WRK_CPU),
        WRK,
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{seconds}s",
        "--timeout",
        f"{TIMEOUT_S}s",
        "--script",
        script_path,
        url,
    ]


def run(url: str, requests_lua: str, *, seconds: int, connections: int) -> WrkRun:
    """Run wrk once with a workload's requests; return its figures."""
    with tempfile.NamedTemporaryFile("w", prefix="bench-", suffix=".lua") as script_file:
        script_file.write(script(requests_lua))
        script_file.flush()
        completed = subprocess.run(
            command(url, script_file.name, seconds=seconds, connections=connections),
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stderr}")
    return figures(completed.stdout)


def version() -> str:
    """wrk's version line."""
    completed = subprocess.run([WRK, "-v"], capture_output=True, text=True, check=False)
    return (completed.stdout + completed.stderr).splitlines()[0].strip()
