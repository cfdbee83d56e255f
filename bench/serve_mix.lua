-- A public traffic mix for wrk (bench/serve.py writes the request list and passes its path):
-- one request a line, the path then its headers, separated by tabs. Each wrk thread walks the
-- list from its own starting point, so the mix is the list's whatever the run's length.
local requests = {}
local index = 0
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  for line in io.lines(args[1]) do
    local fields = {}
    for field in string.gmatch(line, "[^\t]+") do
      table.insert(fields, field)
    end
    local headers = {}
    for i = 2, #fields do
      local name, value = string.match(fields[i], "^([^:]+):%s*(.*)$")
      headers[name] = value
    end
    table.insert(requests, wrk.format("GET", fields[1], headers))
  end
  index = ((id or 1) - 1) * math.floor(#requests / 2)
end

function request()
  index = index % #requests + 1
  return requests[index]
end
