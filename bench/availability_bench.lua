-- wrk script of bench/availability_bench.sh: each line of the list file
-- (the first script argument) is "API_KEY PATH"; requests go round the list,
-- each thread from its own offset.
local reqs = {}
local n = 0
local i = 0

function init(args)
    local f = assert(io.open(args[1], "r"))
    for line in f:lines() do
        local key, path = line:match("^(%S+) (%S+)$")
        if key then
            n = n + 1
            reqs[n] = wrk.format("GET", path, { ["Authorization"] = "Bearer " .. key })
        end
    end
    f:close()
    i = math.random(n) - 1
end

function request()
    i = i % n + 1
    return reqs[i]
end
