-- Argo CD health of an Account (access.workcenter.io/v1alpha1), read from the kstatus
-- conditions the operator writes (docs/gitops.md). Only Lua's base and table libraries:
-- Argo CD runs a check from argocd-cm without the string, math or io libraries.
local hs = {}

local function find(conditions, conditionType)
  for _, c in ipairs(conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

-- what the operator says: the condition's message, or its reason when it has none
local function says(c)
  if c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return c.reason
end

local status = obj.status or {}
local conditions = status.conditions or {}
local ready = find(conditions, "Ready")

-- Held by one of the operator's finalizers: waiting for what blocks it to go.
if obj.metadata.deletionTimestamp ~= nil then
  local blocked = find(conditions, "DeletionBlocked")
  hs.status = "Progressing"
  if isTrue(blocked) then
    hs.message = says(blocked)
  else
    hs.message = "Being deleted"
  end
  return hs
end

if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile the Account"
  return hs
end

-- A retryable failure (Ready Unknown, ReconcileError) or a spec the operator has not
-- processed yet: the conditions still describe an older generation.
local observed = status.observedGeneration or 0
local generation = obj.metadata.generation or 0
if ready.status == "Unknown" then
  hs.status = "Progressing"
  hs.message = says(ready)
  return hs
end
if observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation .. " (observed " .. observed .. ")"
  return hs
end

local stalled = find(conditions, "Stalled")
if isTrue(stalled) then
  -- the spec breaks a rule and will not fix itself
  hs.status = "Degraded"
  hs.message = says(stalled)
  return hs
end

-- Ready True, Active or Deactivated: a Deactivated account is a steady state chosen in Git.
-- Ready stays True without an AccountAdministrator or with too few licenses (those are
-- conditions of their own): Healthy, and the message says so.
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = says(ready)
  for _, conditionType in ipairs({ "AdministratorAssigned", "Licensed" }) do
    local c = find(conditions, conditionType)
    if c ~= nil and c.status == "False" then
      hs.message = hs.message .. "; " .. says(c)
    end
  end
  return hs
end

local reconciling = find(conditions, "Reconciling")
if isTrue(reconciling) then
  -- waiting for something that will come
  hs.status = "Progressing"
  hs.message = says(reconciling)
  return hs
end

-- Not in effect and not waiting for anything that comes by itself (a second Account in
-- the namespace, DuplicateAccount): a person has to act.
hs.status = "Degraded"
hs.message = says(ready)
return hs
