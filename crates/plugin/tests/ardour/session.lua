-- Lacquer on Ardour's master bus, headless (run by ardour7-lua from ardour_host.py).
--
--   ardour7-lua session.lua make DIR NAME PLUGIN [PARAM=VALUE ...] [auto:PARAM=S1:V1,S2:V2,...] [bypass]
--   ardour7-lua session.lua check DIR NAME
--
-- make: a new 48 kHz session on the dummy backend with one stereo track "In" (its region is
-- added to the saved XML by the driver: Ardour 7 has no audio import in Lua) and, when PLUGIN
-- is "lacquer", Lacquer as the master bus's first processor with the given parameter values
-- (plugin units, e.g. Drive=6), automation lanes (points at sample positions, state Play)
-- and, with "bypass", the host's bypass (the processor disabled as from its mixer strip).
-- check: loads the session and prints what the reload gives back.
-- Every result is a "LACQUER key value" line on stdout; the driver reads only those.

local function out(...)
	local fields = { "LACQUER" }
	for _, v in ipairs({ ... }) do
		fields[#fields + 1] = tostring(v)
	end
	print(table.concat(fields, "\t"))
end

local function fail(message)
	out("error", message)
	error(message)
end

local function start_engine()
	local backend = AudioEngine:set_backend("None (Dummy)", "", "")
	if backend == nil or backend:isnil() then
		fail("no dummy backend (hide-dummy-backend must be 0 in Ardour's config)")
	end
	backend:set_device_name("Silence")
	if AudioEngine:start(false) ~= 0 then
		fail("the dummy backend did not start")
	end
end

-- The master bus's Lacquer insert and a map from parameter label to control index.
local function find_lacquer()
	local master = Session:master_out()
	local i = 0
	while true do
		local proc = master:nth_plugin(i)
		if proc:isnil() then
			return nil
		end
		if proc:display_name() == "Lacquer" then
			local insert = proc:to_insert()
			local plugin = insert:plugin(0)
			local index = {}
			local port = {}
			local n = 0
			for j = 0, plugin:parameter_count() - 1 do
				if plugin:parameter_is_control(j) and plugin:parameter_is_input(j) then
					index[plugin:parameter_label(j)] = n
					port[plugin:parameter_label(j)] = j
					n = n + 1
				end
			end
			return proc, insert, index, port
		end
		i = i + 1
	end
end

local function param_index(index, name)
	local n = index[name]
	if n == nil then
		fail("Lacquer has no parameter " .. name)
	end
	return n
end

local function make(dir, name, plugin_name, settings)
	start_engine()
	if create_session(dir, name, 48000) == nil then
		fail("create_session failed")
	end
	local tracks = Session:new_audio_track(2, 2, nil, 1, "In",
		ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true)
	if tracks:size() ~= 1 then
		fail("no track")
	end
	out("track", tracks:front():name())
	if plugin_name == "lacquer" then
		local proc = ARDOUR.LuaAPI.new_plugin(Session, "Lacquer", ARDOUR.PluginType.VST3, "")
		if proc:isnil() then
			fail("Ardour does not know the Lacquer VST3 (plugin cache?)")
		end
		if Session:master_out():add_processor_by_index(proc, 0, nil, true) ~= 0 then
			fail("cannot add Lacquer to the master bus")
		end
		local _, insert, index, port = find_lacquer()
		for _, setting in ipairs(settings) do
			local lane = setting:match("^auto:(.+)$")
			if setting == "bypass" then
				insert:enable(false)
				out("bypass", "set")
			elseif lane then
				local pname, points = lane:match("^([^=]+)=(.+)$")
				local n = param_index(index, pname)
				local al, cl, _ = ARDOUR.LuaAPI.plugin_automation(proc, n)
				if al:isnil() then
					fail("no automation list for " .. pname)
				end
				for s, v in points:gmatch("(%d+):([-%d.]+)") do
					cl:add(Temporal.timepos_t(tonumber(s)), tonumber(v), false, false)
				end
				local control = insert:to_automatable():automation_control(
					Evoral.Parameter(ARDOUR.AutomationType.PluginAutomation, 0, port[pname]), false)
				control:set_automation_state(ARDOUR.AutoState.Play)
				out("automation", pname, al:size())
			else
				local pname, value = setting:match("^([^=]+)=([-%d.]+)$")
				if pname == nil then
					fail("cannot read setting " .. setting)
				end
				local n = param_index(index, pname)
				if not ARDOUR.LuaAPI.set_processor_param(proc, n, tonumber(value)) then
					fail("cannot set " .. pname)
				end
			end
		end
	end
	-- Let the engine run a few cycles so that the values reach the plugin before its state is
	-- saved, as they would in any session that has played.
	ARDOUR.LuaAPI.usleep(500000)
	Session:save_state("", false, false, false, false, false)
	out("saved", Session:path())
	close_session()
end

local function check(dir, name)
	start_engine()
	if load_session(dir, name) == nil then
		fail("load_session failed")
	end
	local proc, insert, index, port = find_lacquer()
	if proc == nil then
		out("plugin", "none")
	else
		out("plugin", "Lacquer")
		out("enabled", insert:enabled() and 1 or 0)
		out("active", proc:active() and 1 or 0)
		out("latency", proc:signal_latency())
		for pname, n in pairs(index) do
			local ok = false
			local value = ARDOUR.LuaAPI.get_processor_param(proc, n, ok)
			out("param", pname, string.format("%.9g", value))
			local al, _, _ = ARDOUR.LuaAPI.plugin_automation(proc, n)
			if not al:isnil() and al:size() > 0 then
				local control = insert:to_automatable():automation_control(
					Evoral.Parameter(ARDOUR.AutomationType.PluginAutomation, 0, port[pname]), false)
				out("lane", pname, control:automation_state(), al:size())
				for event in al:events():iter() do
					out("point", pname, event.when:samples(), string.format("%.9g", event.value))
				end
			end
		end
	end
	local master = Session:master_out()
	out("master-latency", master:signal_latency())
	local track = Session:route_by_name("In")
	if track:isnil() then
		fail("no track In after the reload")
	end
	local playlist = track:to_track():playlist()
	for region in playlist:region_list():iter() do
		out("region", region:name(), region:position():samples(), region:length():samples())
	end
	close_session()
end

local mode = arg[1]
if mode == "make" then
	local settings = {}
	for i = 5, #arg do
		settings[#settings + 1] = arg[i]
	end
	make(arg[2], arg[3], arg[4], settings)
elseif mode == "check" then
	check(arg[2], arg[3])
else
	fail("usage: session.lua make DIR NAME PLUGIN [SETTING ...] | check DIR NAME")
end
out("done")
