"""wrk: the load generator. One Lua script per workload, the run, and its output parsed."""

import json
import re
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

WRK = "wrk"
WRK_CPU = 1  # the server runs on CPU 0

# The mix: of every 100 requests, on average.
MIX = {"get": 80, "list": 10, "create": 5, "update": 5}

COMMON = """
local users = {users}
local created = 0
math.randomseed({seed})
local json_headers = {{["Content-Type"] = "application/json"}}

local function get_one()
  return wrk.format("GET", "/api/users/" .. math.random(users))
end

local function list_page()
  return wrk.format("GET", "/api/users?limit=20&offset=" .. (math.random(users / 20) - 1) * 20)
end

local function create()
  created = created + 1
  local body = '{{"name":"Bench New","email":"new-{nonce}-' .. created .. '@bench.example"}}'
  return wrk.format("POST", "/api/users", json_headers, body)
end

local function update()
  created = created + 1
  local body = '{{"name":"Renamed ' .. created .. '"}}'
  return wrk.format("PATCH", "/api/users/" .. math.random(users), json_headers, body)
end

local function mix()
  local pick = math.random(100)
  if pick <= {get} then return get_one() end
  if pick <= {get_list} then return list_page() end
  if pick <= {get_list_create} then return create() end
  return update()
end

request = {request}

-- Exact percentiles (wrk's own table stops at 99%) and the error counts, as one JSON line.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {{"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f}}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
"""

REQUESTS = {
    "get": "get_one",
    "list": "list_page",
    "create": "create",
    "update": "update",
    "mix": "mix",
}
WRITES = {"create", "update", "mix"}


def lua_script(workload: str, users: int, nonce: str, seed: int = 42) -> str:
    """The wrk script for a workload on a table of users 1..users."""
    return COMMON.format(
        users=users,
        seed=seed,
        nonce=nonce,
        get=MIX["get"],
        get_list=MIX["get"] + MIX["list"],
        get_list_create=MIX["get"] + MIX["list"] + MIX["create"],
        request=REQUESTS[workload],
    )


@dataclass
class WrkResult:
    """One wrk run."""

    requests: int = 0
    duration_s: float = 0.0
    requests_per_s: float = 0.0
    non_2xx: int = 0  # wrk counts statuses of 400 and above ("Non-2xx or 3xx responses")
    socket_errors: dict[str, int] = field(
        default_factory=lambda: {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    )
    latency_ms: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        """Responses that were not 2xx, and requests that got no response."""
        return self.non_2xx + sum(self.socket_errors.values())

    def to_json(self) -> dict[str, object]:
        """The run as stored in bench.json."""
        return asdict(self) | {"errors": self.errors}


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
DURATION = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m),", re.MULTILINE)
RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", re.MULTILINE)
SOCKET = re.compile(
    r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE
)
PERCENTILE = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
JSON_LINE = re.compile(r"^BENCH_JSON (\{.*\})\s*$", re.MULTILINE)


def parse(output: str) -> WrkResult:
    """Read wrk's text output (with --latency), and the script's JSON line if present."""
    result = WrkResult()
    if match := DURATION.search(output):
        result.requests = int(match[1])
        result.duration_s = float(match[2]) * UNITS[match[3]] / 1000
    match = RATE.search(output)
    if match is None:
        raise ValueError(f"not wrk output:\n{output}")
    result.requests_per_s = float(match[1])
    if match := NON_2XX.search(output):
        result.non_2xx = int(match[1])
    if match := SOCKET.search(output):
        keys = ("connect", "read", "write", "timeout")
        result.socket_errors = dict(zip(keys, map(int, match.groups()), strict=True))
    for percent, value, unit in PERCENTILE.findall(output):
        result.latency_ms[f"p{percent}"] = round(float(value) * UNITS[unit], 3)
    if match := JSON_LINE.search(output):
        exact = json.loads(match[1])
        result.non_2xx = exact["status"]
        for name in ("connect", "read", "write", "timeout"):
            result.socket_errors[name] = exact[name]
        for name in ("p50", "p90", "p99", "p999", "max", "mean"):
            result.latency_ms[name] = round(exact[f"{name}_us"] / 1000, 3)
    return result


def command(
    url: str, script: Path, *, seconds: int, connections: int, timeout_s: int = 10
) -> list[str]:
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
        f"{timeout_s}s",
        "--latency",
        "--script",
        str(script),
        url,
    ]


def run(url: str, script: Path, *, seconds: int, connections: int) -> tuple[WrkResult, str]:
    """Run wrk once; return the parsed result and the raw output."""
    completed = subprocess.run(
        command(url, script, seconds=seconds, connections=connections),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stderr}")
    return parse(completed.stdout), completed.stdout


def version() -> str:
    """wrk's version line."""
    completed = subprocess.run([WRK, "-v"], capture_output=True, text=True, check=False)
    return (completed.stdout + completed.stderr).splitlines()[0].strip()
