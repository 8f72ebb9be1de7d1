-- Argo CD health of the operator's four kinds (access.workcenter.io/v1alpha1: Account,
-- WorkCenter, WorkCenterRole, Collaborator), read from the kstatus conditions the operator
-- writes (https://github.com/workcenter-io/workcenter-operator/blob/main/docs/gitops.md).
-- The same script serves every kind: it names the kind from obj.kind,
-- and each kind-specific branch reads a condition or reason that only one kind carries, so
-- it never fires for the others. Only Lua's base and table libraries: Argo CD runs a check
-- from argocd-cm without the string, math or io libraries.
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

-- the table Argo CD reads
local function verdict(healthStatus, message)
  return { status = healthStatus, message = message }
end

local status = obj.status or {}
local conditions = status.conditions or {}
local ready = find(conditions, "Ready")

-- Held by one of the operator's finalizers: waiting for what blocks it to go.
if obj.metadata.deletionTimestamp ~= nil then
  local blocked = find(conditions, "DeletionBlocked")
  if isTrue(blocked) then
    return verdict("Progressing", says(blocked))
  end
  return verdict("Progressing", "Being deleted")
end

if ready == nil then
  return verdict("Progressing", "Waiting for the operator to reconcile the " .. (obj.kind or "object"))
end

-- A retryable failure (Ready Unknown, ReconcileError) or a spec the operator has not
-- processed yet: the conditions still describe an older generation.
local observed = status.observedGeneration or 0
local generation = obj.metadata.generation or 0
if ready.status == "Unknown" then
  return verdict("Progressing", says(ready))
end
if observed < generation then
  return verdict("Progressing", "Waiting for the operator to observe generation " .. generation .. " (observed " .. observed .. ")")
end

-- The spec breaks a rule and will not fix itself: a Guest with a member-only role (R2,
-- R3), a duplicate email (R5), a category not in the picklist (R8), an inclusion cycle.
local stalled = find(conditions, "Stalled")
if isTrue(stalled) then
  return verdict("Degraded", says(stalled))
end

-- Ready True. A Deactivated Account is Ready: a steady state chosen in Git. An Account
-- stays Ready without an AccountAdministrator or with too few licenses; its own
-- conditions AdministratorAssigned and Licensed (no other kind has them) say so, and
-- the message adds what they say.
if ready.status == "True" then
  local message = says(ready)
  for _, conditionType in ipairs({ "AdministratorAssigned", "Licensed" }) do
    local c = find(conditions, conditionType)
    if c ~= nil and c.status == "False" then
      message = message .. "; " .. says(c)
    end
  end
  return verdict("Healthy", message)
end

-- Waiting for something that will come: the Account, a WorkCenter, a role.
local reconciling = find(conditions, "Reconciling")
if isTrue(reconciling) then
  return verdict("Progressing", says(reconciling))
end

-- The Account is Deactivated, a steady state chosen in Git: its Collaborators (the only
-- kind with Ready False AccountDeactivated) have no access, and nothing is wrong with them.
if ready.reason == "AccountDeactivated" then
  return verdict("Healthy", says(ready))
end

-- Not in effect and not waiting for anything that comes by itself (no license left, a new
-- assignment to a role being deleted, a second Account in the namespace): a person has to
-- act.
return verdict("Degraded", says(ready))
