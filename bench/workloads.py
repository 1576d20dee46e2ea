"""The workloads: what each one requests, as the Lua that wrk runs."""

WORKLOADS = ["get", "list", "create", "update", "mix"]
WRITES = {"create", "update", "mix"}  # the table is reset after each of their runs

# The mix: of every 100 requests, on average.
MIX = {"get": 80, "list": 10, "create": 5, "update": 5}

# What each workload requests, for bench.json.
DESCRIPTIONS = {
    "get": "GET /api/users/{random id}",
    "list": "GET /api/users?limit=20&offset={random page}",
    "create": "POST /api/users (a new email each time)",
    "update": 'PATCH /api/users/{random id} {"name"}',
    "mix": ", ".join(f"{percent}% {name}" for name, percent in MIX.items()),
}

# The Lua function that makes each workload's requests.
REQUESTS = {
    "get": "get_one",
    "list": "list_page",
    "create": "create",
    "update": "update",
    "mix": "mix",
}

REQUESTS_LUA = """
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
"""


def lua_script(workload: str, users: int, nonce: str, seed: int = 42) -> str:
    """The requests of a workload on a table of users 1..users, as wrk's Lua `request`."""
    return REQUESTS_LUA.format(
        users=users,
        seed=seed,
        nonce=nonce,
        get=MIX["get"],
        get_list=MIX["get"] + MIX["list"],
        get_list_create=MIX["get"] + MIX["list"] + MIX["create"],
        request=REQUESTS[workload],
    )
