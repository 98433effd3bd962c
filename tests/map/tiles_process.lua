-- A small tilemaker profile for kiosk/map's tests: the layer and class names the kiosk's own
-- profile (assets/map) uses, enough of them to exercise every kind of geometry.
node_keys = { "place", "highway", "public_transport" }

local road_class = {
	motorway = "motorway", motorway_link = "motorway", trunk = "trunk", trunk_link = "trunk",
	primary = "primary", primary_link = "primary", secondary = "secondary", secondary_link = "secondary",
	tertiary = "tertiary", tertiary_link = "tertiary", residential = "minor", unclassified = "minor",
	living_street = "minor", pedestrian = "minor", service = "service", footway = "path", path = "path",
	steps = "path", cycleway = "path",
}

local function names(obj)
	local n = obj:Find("name")
	if n ~= "" then obj:Attribute("name", n) end
	for _, l in ipairs({ "en", "fr", "ar", "zh", "ru" }) do
		local v = obj:Find("name:" .. l)
		if v ~= "" then obj:Attribute("name:" .. l, v) end
	end
end

function node_function(node)
	local place = node:Find("place")
	if place ~= "" then
		node:Layer("place", false)
		node:Attribute("class", place)
		names(node)
	elseif node:Find("highway") == "bus_stop" then
		node:Layer("poi", false)
		node:Attribute("class", "bus_stop")
		names(node)
	end
end

function way_function(way)
	local highway = way:Find("highway")
	local railway = way:Find("railway")
	local building = way:Find("building")
	local natural = way:Find("natural")
	local landuse = way:Find("landuse")
	local leisure = way:Find("leisure")
	if road_class[highway] then
		way:Layer("transportation", false)
		way:Attribute("class", road_class[highway])
		if way:Find("name") ~= "" then
			way:Layer("transportation_name", false)
			way:Attribute("class", road_class[highway])
			names(way)
		end
	elseif railway == "rail" then
		way:Layer("transportation", false)
		way:Attribute("class", "rail")
	end
	if building ~= "" then
		way:Layer("building", true)
	elseif natural == "water" or landuse == "basin" then
		way:Layer("water", true)
	elseif leisure == "park" or leisure == "garden" then
		way:Layer("park", true)
		way:Attribute("class", leisure)
	elseif landuse ~= "" then
		way:Layer("landuse", true)
		way:Attribute("class", landuse)
	end
end
