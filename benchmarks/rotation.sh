# Sourced by pull-304.sh and postgres-scale.sh.
# rotation_lua BODIES-FILE LUA-FILE: a wrk script that rotates through the accounts' forms (one url-encoded form per
# line); requests are built once per thread and each thread starts at its own place in the rotation.
rotation_lua() {
  cat > "$2" <<LUA
local requests, i = {}, 0
function init(args)
  for line in io.lines("$1") do
    requests[#requests + 1] = wrk.format("POST", "/pull", { ["Content-Type"] = "application/x-www-form-urlencoded" }, line)
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  i = math.random(#requests)
end
function request()
  i = i % #requests + 1
  return requests[i]
end
LUA
}
