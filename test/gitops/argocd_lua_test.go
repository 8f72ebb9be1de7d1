package gitops_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// health is what an Argo CD health check returns: a status and a message.
type health struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// Argo CD's health statuses (gitops-engine's HealthStatusCode).
const (
	healthy     = "Healthy"
	progressing = "Progressing"
	degraded    = "Degraded"
	suspended   = "Suspended"
	missing     = "Missing"
	unknown     = "Unknown"
)

// invalidHealthStatus is the verdict Argo CD puts in place of a status it does not know.
const invalidHealthStatus = "Lua returned an invalid health status"

// runHealthLua runs a health.lua over obj (as the API server serves it, decoded from
// JSON or YAML) the way Argo CD's controller does, in github.com/yuin/gopher-lua:
//
//   - A check from argocd-cm runs with openLibs false: the state starts without any
//     library, then gets only package, base, table and a safe os (time and date); no
//     string, math, io or debug. That is the default; resource.customizations.useOpenLibs
//     and the checks built into Argo CD (tested there with every library) have openLibs
//     true: gopher-lua's full set, then the same four over it.
//   - obj is the global "obj"; the script has one second; the last value it returns
//     must be a table whose status is one of Argo CD's, or the verdict is Unknown.
func runHealthLua(script string, obj map[string]any, openLibs bool) (health, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: !openLibs})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, openSafeOs},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return health{}, fmt.Errorf("opening %q: %w", lib.name, err)
		}
	}
	l.PreloadModule(lua.OsLibName, func(l *lua.LState) int {
		l.Push(l.SetFuncs(l.NewTable(), safeOs))
		return 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return health{}, err
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return health{}, fmt.Errorf("expect table output from Lua script, not %s", l.Get(-1).Type())
	}
	var h health
	for field, into := range map[string]*string{"status": &h.Status, "message": &h.Message} {
		switch v := ret.RawGetString(field).(type) {
		case lua.LString:
			*into = string(v)
		case *lua.LNilType:
		default:
			return health{}, fmt.Errorf("%s is a %s, not a string", field, v.Type())
		}
	}
	switch h.Status {
	case healthy, progressing, degraded, suspended, missing, unknown:
		return h, nil
	}
	return health{Status: unknown, Message: invalidHealthStatus}, nil
}

// toLua turns a decoded object into Lua values as Argo CD does: maps and lists are
// tables, numbers (float64 from JSON, int64 from the API machinery) are numbers.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for k, item := range v {
			t.RawSetString(k, toLua(l, item))
		}
		return t
	}
	return lua.LNil
}

// safeOs is the part of os that Argo CD leaves to scripts: the clock, nothing that
// touches the process or the files.
var safeOs = map[string]lua.LGFunction{
	"time": func(l *lua.LState) int {
		if l.GetTop() == 0 {
			l.Push(lua.LNumber(time.Now().Unix()))
			return 1
		}
		t := l.CheckTable(1)
		field := func(name string, def int) int {
			if n, ok := t.RawGetString(name).(lua.LNumber); ok {
				return int(n)
			}
			return def
		}
		at := time.Date(field("year", 1970), time.Month(field("month", 1)), field("day", 1),
			field("hour", 12), field("min", 0), field("sec", 0), 0, time.Local)
		l.Push(lua.LNumber(at.Unix()))
		return 1
	},
	"date": func(l *lua.LState) int {
		at := time.Now()
		if l.GetTop() >= 2 {
			at = time.Unix(l.CheckInt64(2), 0)
		}
		l.Push(lua.LString(at.UTC().Format(time.RFC3339)))
		return 1
	},
}

// openSafeOs registers safeOs as the global os.
func openSafeOs(l *lua.LState) int {
	l.Push(l.RegisterModule(lua.OsLibName, safeOs))
	return 1
}
