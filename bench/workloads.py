"""The workloads: what each one requests, as the Lua that wrk runs."""

from collections.abc import Sequence

from bench.databases import SEED_PASSWORD, seed_email

WORKLOADS = ["get", "list", "create", "update", "mix", "token"]
WRITES = {"create", "update", "mix"}  # the table is reset after each of their runs
# The workloads whose every request hashes a password once (sign-up, sign-in): tens of
# milliseconds of a core each. They run at 2 connections at most (bench/measuring.py,
# levels()): enough to keep the server's core busy, few enough that each request ends in
# twice a hash's time, many times within a run of 1 s.
HASHING = ("create", "token")
HASHING_CONNECTIONS = 2

# The mix: of every 100 requests, on average.
MIX = {"get": 80, "list": 10, "create": 5, "update": 5}

# The seeded user whose credentials the sign-in workload sends.
SIGNING_IN = 1

# What each workload requests, for bench.json. Every request that needs a token carries a
# bearer token, one of each seeded user's, minted with create_token's claims before the run.
DESCRIPTIONS = {
    "get": "GET /api/users/{random id}, with a random user's bearer token",
    "list": "GET /api/users?limit=20&offset={random page}, with a random user's bearer token",
    "create": 'POST /api/users {"name", "email", "password"} (sign-up, a new email each time; '
    f"the server hashes the password; at {HASHING_CONNECTIONS} connections at most)",
    "update": 'PATCH /api/users/{random id} {"name"}, with that user\'s own bearer token',
    "mix": ", ".join(f"{percent}% {name}" for name, percent in MIX.items()),
    "token": 'POST /api/tokens {"email", "password"} of one seeded user (sign-in: the server '
    f"verifies the password against its hash and signs a token; at {HASHING_CONNECTIONS} "
    "connections at most)",
}

# The Lua function that makes each workload's requests.
REQUESTS = {
    "get": "get_one",
    "list": "list_page",
    "create": "create",
    "update": "update",
    "mix": "mix",
    "token": "create_token",
}

# tokens: the users' tokens in id order, separated by spaces (a JWT has none): one string
# constant, whatever the number of users, split once as the script loads.
REQUESTS_LUA = """
local users = {users}
local created = 0
math.randomseed({seed})
local json_headers = {{["Content-Type"] = "application/json"}}

-- As user i: reading[i] carries its bearer token, writing[i] its token and a JSON body.
local reading, writing = {{}}, {{}}
for token in ("{tokens}"):gmatch("%S+") do
  reading[#reading + 1] = {{["Authorization"] = "Bearer " .. token}}
  writing[#writing + 1] = {{["Authorization"] = "Bearer " .. token,
                            ["Content-Type"] = "application/json"}}
end
if #reading ~= users then error("expected " .. users .. " tokens, got " .. #reading) end

local function get_one()
  return wrk.format("GET", "/api/users/" .. math.random(users), reading[math.random(users)])
end

local function list_page()
  local offset = (math.random(users / 20) - 1) * 20
  return wrk.format("GET", "/api/users?limit=20&offset=" .. offset, reading[math.random(users)])
end

local function create()
  created = created + 1
  local body = '{{"name":"Bench New","email":"new-{nonce}-' .. created ..
    '@bench.example","password":"{password}"}}'
  return wrk.format("POST", "/api/users", json_headers, body)
end

local function update()
  created = created + 1
  local body = '{{"name":"Renamed ' .. created .. '"}}'
  local owner = math.random(users)
  return wrk.format("PATCH", "/api/users/" .. owner, writing[owner], body)
end

local function mix()
  local pick = math.random(100)
  if pick <= {get} then return get_one() end
  if pick <= {get_list} then return list_page() end
  if pick <= {get_list_create} then return create() end
  return update()
end

local sign_in = '{{"email":"{email}","password":"{password}"}}'

local function create_token()
  return wrk.format("POST", "/api/tokens", json_headers, sign_in)
end

request = {request}
"""


def lua_script(workload: str, users: int, nonce: str, tokens: Sequence[str], seed: int = 42) -> str:
    """The requests of a workload on a table of users 1..users signed up with SEED_PASSWORD,
    with tokens[i - 1] user i's bearer token, as wrk's Lua `request`."""
    if len(tokens) != users or any(not token or " " in token for token in tokens):
        raise ValueError(f"expected {users} tokens without spaces")
    return REQUESTS_LUA.format(
        users=users,
        seed=seed,
        nonce=nonce,
        tokens=" ".join(tokens),
        password=SEED_PASSWORD,
        email=seed_email(SIGNING_IN),
        get=MIX["get"],
        get_list=MIX["get"] + MIX["list"],
        get_list_create=MIX["get"] + MIX["list"] + MIX["create"],
        request=REQUESTS[workload],
    )
