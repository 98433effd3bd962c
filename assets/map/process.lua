-- Sportello's tilemaker profile: only what the kiosk's map draws, with the names of every kiosk
-- language that OpenStreetMap has. Layers and attributes (the kiosk's style table keys on them):
--   water                (polygons; class ocean from osmcoastline, lake, river, basin)
--   waterway             (lines; class river, stream, canal, drain)
--   landuse              (class residential, commercial, industrial, retail, railway, cemetery, ...)
--   park                 (class park, garden, grass, forest)
--   building
--   transportation       (class motorway, trunk, primary, secondary, tertiary, minor, service, path, rail)
--   transportation_name  (class as above; name, name:xx)
--   place                (class city, town, village, suburb, neighbourhood; name, name:xx)
--   transit              (class bus_stop, station, tram_stop; name, name:xx)
-- The languages are the kiosk's (locales/*.po); sportello-admin checks this list against them.

languages = { "ar", "bn", "en", "es", "fa", "fr", "hi", "it", "pa", "ps", "ru", "sq", "ti", "tl", "uk", "ur", "wo", "zh" }

node_keys = { "place", "highway", "public_transport", "railway" }

local function names(obj)
  obj:Attribute("name", obj:Find("name"))
  for _, lang in ipairs(languages) do
    local v = obj:Find("name:" .. lang)
    if v ~= "" then obj:Attribute("name:" .. lang, v) end
  end
end

local places = { city = 12, town = 12, village = 13, suburb = 13, quarter = 14, neighbourhood = 14, hamlet = 14 }

function node_function(node)
  local place = node:Find("place")
  if places[place] and node:Holds("name") then
    node:Layer("place", false)
    node:MinZoom(places[place])
    if place == "quarter" then place = "neighbourhood" elseif place == "hamlet" then place = "village" end
    node:Attribute("class", place)
    names(node)
    return
  end
  local highway, railway = node:Find("highway"), node:Find("railway")
  local class = ""
  if highway == "bus_stop" or (node:Find("public_transport") == "platform" and node:Find("bus") == "yes") then
    class = "bus_stop"
  elseif railway == "station" or railway == "halt" then
    class = "station"
  elseif railway == "tram_stop" then
    class = "tram_stop"
  end
  if class ~= "" then
    node:Layer("transit", false)
    node:Attribute("class", class)
    names(node)
  end
end

local road_class = {
  motorway = "motorway", motorway_link = "motorway", trunk = "trunk", trunk_link = "trunk",
  primary = "primary", primary_link = "primary", secondary = "secondary", secondary_link = "secondary",
  tertiary = "tertiary", tertiary_link = "tertiary", unclassified = "minor", residential = "minor",
  living_street = "minor", road = "minor", pedestrian = "path", service = "service", track = "path",
  footway = "path", path = "path", cycleway = "path", steps = "path", bridleway = "path",
}
local road_minzoom = { motorway = 12, trunk = 12, primary = 12, secondary = 12, tertiary = 13, minor = 13,
                       service = 14, path = 14, rail = 12 }
local rail_types = { rail = true, light_rail = true, subway = true, tram = true, narrow_gauge = true, monorail = true,
                     funicular = true }
local landuse_class = { residential = true, commercial = true, industrial = true, retail = true, railway = true,
                        cemetery = true, construction = true, military = true, farmland = true, allotments = true }
local park_class = { park = "park", garden = "garden", grass = "grass", meadow = "grass", village_green = "grass",
                     recreation_ground = "park", playground = "park", forest = "forest", wood = "forest",
                     scrub = "forest", grassland = "grass", nature_reserve = "park" }
local water_class = { water = "lake", reservoir = "lake", basin = "basin", riverbank = "river", dock = "basin" }
local waterway_class = { river = true, stream = true, canal = true, drain = true, ditch = true }

function way_function(way)
  local highway, railway, building = way:Find("highway"), way:Find("railway"), way:Find("building")
  local natural, landuse, leisure, waterway = way:Find("natural"), way:Find("landuse"), way:Find("leisure"), way:Find("waterway")
  local closed = way:IsClosed()
  local area = way:Find("area") == "yes"

  if highway ~= "" and road_class[highway] and not area then
    local class = road_class[highway]
    way:Layer("transportation", false)
    way:MinZoom(road_minzoom[class])
    way:Attribute("class", class)
    if way:Holds("name") then
      way:Layer("transportation_name", false)
      way:MinZoom(road_minzoom[class] + 1)
      way:Attribute("class", class)
      names(way)
    end
    return
  end
  if rail_types[railway] and way:Find("service") == "" then
    way:Layer("transportation", false)
    way:Attribute("class", "rail")
    way:Attribute("subclass", railway)
    return
  end
  if waterway_class[waterway] and not closed then
    way:Layer("waterway", false)
    way:Attribute("class", waterway)
    return
  end
  if not closed then return end   -- the rest are areas

  local water = water_class[natural] or water_class[landuse] or water_class[waterway]
  if natural == "water" or water then
    way:Layer("water", true)
    way:Attribute("class", water or "lake")
    return
  end
  if building ~= "" and building ~= "no" then
    way:Layer("building", true)
    way:MinZoom(14)
    return
  end
  local park = park_class[leisure] or park_class[landuse] or park_class[natural] or park_class[way:Find("boundary")]
  if park then
    way:Layer("park", true)
    way:Attribute("class", park)
    return
  end
  if landuse_class[landuse] then
    way:Layer("landuse", true)
    way:Attribute("class", landuse)
    return
  end
end

-- The sea polygons osmcoastline makes (the "ocean" layer of config.json, written into water).
function attribute_function(attr, layer)
  return { class = "ocean" }
end
