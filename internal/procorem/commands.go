package procorem

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
	"github.com/workcenter-io/workcenter-operator/internal/query"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// oneArg is the argument check of a command that takes one argument (what: what it
// is), in the plugin's error style rather than cobra's.
func oneArg(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("%s takes one %s, got %d arguments (usage: kubectl procorem %s)", cmd.Name(), what, len(args), cmd.Use)
		}
		return nil
	}
}

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

func (o *options) canI() *cobra.Command {
	var who, workCenter string
	var list, quiet, capability bool
	cmd := &cobra.Command{
		Use:   "can-i NAME --as WHO [--workcenter WC] [--capability] | can-i --list --as WHO [--workcenter WC]",
		Short: "May WHO do a WorkCenter permission or an account-level capability? Explained",
		Long: `can-i answers yes or no on the first line, then explains.

NAME is a WorkCenter permission (docs/rules.md) or an account-level capability
(docs/administration.md). WHO is a Collaborator's name or email (case-insensitive).

A WorkCenter permission is asked in a WorkCenter (--workcenter): the explanation is each
step of effective access (account, license, admin role, assignment, archival) in order,
which one decided, and for a role the include path that grants the permission.

A capability (workCenters.delete, users.upgrade, ...) is answered by the operator's
delegated administration, the decision admission takes: the step that decided and its
message. A capability of scope Account needs no WorkCenter. One of scope WorkCenter is
answered in the WorkCenter given, or, without one, everywhere: whether WHO's member type
holds it in every WorkCenter. collaborators.remove and collaborators.changeRole are both:
with --workcenter they are the WorkCenter permission, unless --capability.

With --list, every permission WHO has in the WorkCenter and every capability WHO holds
there (without --workcenter, the capabilities held everywhere).

With --quiet (-q), nothing is printed, as kubectl auth can-i --quiet: the exit code is
the answer.

Exit: 0 yes (or --list), 1 no, 2 bad input.`,
		Example: `  kubectl procorem can-i folders.delete --as tom.becker@acme-builders.example --workcenter tower-a -n acme
  kubectl procorem can-i workCenters.delete --as maria-lopez -n acme
  kubectl procorem can-i workCenters.edit --as priya-shah --workcenter tower-a -f config/samples
  kubectl procorem can-i collaborators.changeRole --capability --as priya-shah --workcenter tower-a -f config/samples
  kubectl procorem can-i --list --as jane-doe --workcenter tower-a -f config/samples
  kubectl procorem can-i --list --as maria-lopez -f config/samples`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.checkOutput("text", "json"); err != nil {
				return err
			}
			switch {
			case who == "":
				return fmt.Errorf("--as WHO is required (a Collaborator's name or email)")
			case list && len(args) > 0:
				return fmt.Errorf("--list takes no NAME")
			case list && capability:
				return fmt.Errorf("--list takes no --capability: it lists permissions and capabilities")
			case list && quiet:
				return fmt.Errorf("--list takes no --quiet: --quiet prints nothing, and a list always exits 0")
			case !list && len(args) != 1:
				return fmt.Errorf("can-i takes one NAME, a permission or a capability (or --list), got %d arguments", len(args))
			}
			var name query.Name
			if !list {
				var err error
				if name, err = query.Lookup(args[0]); err != nil {
					return err
				}
				switch {
				case capability && !name.Capability:
					_, err := query.Capability(args[0])
					return err
				case !name.AsCapability(workCenter, capability) && workCenter == "":
					return fmt.Errorf("--workcenter WC is required: %s is a WorkCenter permission, held in one WorkCenter", args[0])
				}
			}
			e, err := o.engine(cmd.Context())
			if err != nil {
				return err
			}
			c, err := e.Collaborator(who)
			if err != nil {
				return err
			}
			wc := ""
			if workCenter != "" {
				if wc, err = e.WorkCenter(workCenter); err != nil {
					return err
				}
			}
			if list {
				l := e.ListAll(c, wc)
				if o.output == "json" {
					return writeJSON(o.stdout, l)
				}
				return writeList(o.stdout, l)
			}
			if name.AsCapability(wc, capability) {
				d := e.CanCapability(c, name.Info.Capability, wc)
				switch {
				case quiet:
				case o.output == "json":
					if err := writeJSON(o.stdout, d); err != nil {
						return err
					}
				default:
					writeCapabilityDecision(o.stdout, d)
				}
				if !d.Allowed {
					return exit{ExitNo}
				}
				return nil
			}
			d := e.Check(c, wc, model.Permission(name.Name))
			switch {
			case quiet:
			case o.output == "json":
				if err := writeJSON(o.stdout, d); err != nil {
					return err
				}
			default:
				writeDecision(o.stdout, d)
			}
			if !d.Allowed {
				return exit{ExitNo}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&who, "as", "", "The Collaborator asked about: name or email")
	cmd.Flags().StringVar(&workCenter, "workcenter", "", "The WorkCenter (required for a WorkCenter permission)")
	cmd.Flags().BoolVar(&list, "list", false, "List every permission and capability WHO has in the WorkCenter (without one, the capabilities held everywhere)")
	cmd.Flags().BoolVar(&capability, "capability", false, "Answer NAME as an account-level capability, also when it is a WorkCenter permission too")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Print nothing: the exit code is the answer (0 yes, 1 no), as kubectl auth can-i --quiet")
	return cmd
}

// writeCapabilityDecision prints a capability's answer: yes or no, the question and the
// step that decided, then the model's message.
func writeCapabilityDecision(w io.Writer, d query.CapabilityDecision) {
	verb := "may not"
	if d.Allowed {
		fmt.Fprintln(w, "yes")
		verb = "may"
	} else {
		fmt.Fprintln(w, "no")
	}
	fmt.Fprintf(w, "%s (%s) %s %s %s: decided by step %d (%s) of delegated administration.\n", d.Collaborator, d.Email, verb, d.Capability,
		query.Where(d.Scope, d.WorkCenter), d.StepNumber, d.Step)
	fmt.Fprintf(w, "> %s\n", d.Message)
}

func writeDecision(w io.Writer, d query.Decision) {
	if d.Allowed {
		fmt.Fprintln(w, "yes")
	} else {
		fmt.Fprintln(w, "no")
	}
	verb := "may not"
	if d.Allowed {
		verb = "may"
	}
	fmt.Fprintf(w, "%s (%s) %s %s in WorkCenter %s: decided by step %d (%s).\n", d.Collaborator, d.Email, verb, d.Permission, d.WorkCenter,
		d.DecidedBy, d.Steps[d.DecidedBy-1].Name)
	t := table(w)
	for _, s := range d.Steps {
		mark := " "
		if s.Step == d.DecidedBy {
			mark = ">"
		}
		fmt.Fprintf(t, "%s %d. %s\t%s\t%s\n", mark, s.Step, s.Name, s.Result, s.Detail)
	}
	_ = t.Flush()
}

func howText(h query.How) string {
	if h.AdminRole != "" && h.Role == "" {
		return h.AdminRole
	}
	s := "role " + h.Role
	if len(h.Path) > 1 {
		s += " (includes " + strings.Join(h.Path[1:], " > ") + ")"
	}
	switch {
	case h.BuiltIn:
		s += ": built-in"
	case h.Source != "":
		s += ": " + h.Source
	}
	return s
}

func writeList(w io.Writer, l query.List) error {
	if l.WorkCenter != "" {
		if err := writePermissionList(w, l); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	return writeCapabilityList(w, l)
}

func writePermissionList(w io.Writer, l query.List) error {
	head := fmt.Sprintf("%s in WorkCenter %s", l.Collaborator, l.WorkCenter)
	if a := l.Assignment; a != nil {
		head += fmt.Sprintf(" (role %s, %s)", a.Role, a.State)
	}
	if len(l.Permissions) == 0 {
		fmt.Fprintf(w, "%s: no permissions: %s\n", head, l.Reason)
		return nil
	}
	fmt.Fprintf(w, "%s: %d permissions (* member-only)\n", head, len(l.Permissions))
	t := table(w)
	fmt.Fprintln(t, "PERMISSION\tHOW")
	for _, p := range l.Permissions {
		name := p.Permission
		if p.MemberOnly {
			name += " *"
		}
		fmt.Fprintf(t, "%s\t%s\n", name, howText(p.How))
	}
	return t.Flush()
}

// writeCapabilityList prints the capabilities of a list, each with the model's message.
func writeCapabilityList(w io.Writer, l query.List) error {
	where := "everywhere"
	if l.WorkCenter != "" {
		where = "in WorkCenter " + l.WorkCenter
	}
	fmt.Fprintf(w, "%s (%s) %s: %d of %d capabilities\n", l.Collaborator, l.MemberType, where, len(l.Capabilities), len(model.Capabilities()))
	if len(l.Capabilities) == 0 {
		return nil
	}
	t := table(w)
	fmt.Fprintln(t, "CAPABILITY\tSCOPE\tWHY")
	for _, c := range l.Capabilities {
		fmt.Fprintf(t, "%s\t%s\t%s\n", c.Capability, c.Scope, c.Message)
	}
	return t.Flush()
}

func (o *options) whoCan() *cobra.Command {
	var workCenter string
	var showDenied, capability bool
	cmd := &cobra.Command{
		Use:   "who-can NAME [--workcenter WC] [--capability] [--show-denied]",
		Short: "Who has a WorkCenter permission, or an account-level capability, and how",
		Long: `who-can lists who may do NAME, a WorkCenter permission (docs/rules.md) or an
account-level capability (docs/administration.md).

For a WorkCenter permission, in the WorkCenter (--workcenter): the collaborators who have
it, each with how (an admin role, or the assigned role and the include path that grants
it). With --show-denied, also those assigned to the WorkCenter (and administrators) who do
not, each with the step that denied it.

For a capability: every Collaborator of the account the operator's delegated
administration allows, each with the model's message; with --show-denied, every other
Collaborator, with the step that refused and why. A capability of scope WorkCenter is
asked in the WorkCenter given, or, without one, everywhere (by member type).
collaborators.remove and collaborators.changeRole are both: with --workcenter they are the
WorkCenter permission, unless --capability.`,
		Example: `  kubectl procorem who-can collaborators.changeRole --workcenter tower-a -n acme --show-denied
  kubectl procorem who-can users.upgrade -n acme --show-denied
  kubectl procorem who-can workCenters.edit --workcenter tower-a -f config/samples`,
		Args: oneArg("NAME, a permission or a capability"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.checkOutput("text", "json"); err != nil {
				return err
			}
			name, err := query.Lookup(args[0])
			if err != nil {
				return err
			}
			switch {
			case capability && !name.Capability:
				_, err := query.Capability(args[0])
				return err
			case !name.AsCapability(workCenter, capability) && workCenter == "":
				return fmt.Errorf("--workcenter WC is required: %s is a WorkCenter permission, held in one WorkCenter", args[0])
			}
			e, err := o.engine(cmd.Context())
			if err != nil {
				return err
			}
			wc := ""
			if workCenter != "" {
				if wc, err = e.WorkCenter(workCenter); err != nil {
					return err
				}
			}
			if name.AsCapability(wc, capability) {
				r := e.WhoCanCapability(name.Info.Capability, wc, showDenied)
				if o.output == "json" {
					return writeJSON(o.stdout, r)
				}
				return writeWhoCanCapability(o.stdout, r, showDenied)
			}
			r := e.WhoCan(model.Permission(name.Name), wc, showDenied)
			if o.output == "json" {
				return writeJSON(o.stdout, r)
			}
			return writeWhoCan(o.stdout, r, showDenied)
		},
	}
	cmd.Flags().StringVar(&workCenter, "workcenter", "", "The WorkCenter (required for a WorkCenter permission)")
	cmd.Flags().BoolVar(&capability, "capability", false, "Answer NAME as an account-level capability, also when it is a WorkCenter permission too")
	cmd.Flags().BoolVar(&showDenied, "show-denied", false, "Also list those who may not, with why (for a permission, those assigned to the WorkCenter)")
	return cmd
}

// writeWhoCanCapability prints who may do a capability, each with the model's message.
func writeWhoCanCapability(w io.Writer, r query.WhoCanCapabilityResult, showDenied bool) error {
	fmt.Fprintf(w, "%s %s: %d collaborators can\n", r.Capability, query.Where(r.Scope, r.WorkCenter), len(r.Allowed))
	t := table(w)
	if len(r.Allowed) > 0 {
		fmt.Fprintln(t, "COLLABORATOR\tMEMBER TYPE\tWHY")
		for _, a := range r.Allowed {
			fmt.Fprintf(t, "%s\t%s\t%s\n", a.Collaborator, a.MemberType, a.Message)
		}
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if !showDenied {
		return nil
	}
	fmt.Fprintf(w, "\n%d cannot\n", len(r.Denied))
	if len(r.Denied) == 0 {
		return nil
	}
	t = table(w)
	fmt.Fprintln(t, "COLLABORATOR\tMEMBER TYPE\tSTEP\tWHY")
	for _, d := range r.Denied {
		fmt.Fprintf(t, "%s\t%s\t%d (%s)\t%s\n", d.Collaborator, d.MemberType, d.StepNumber, d.Step, d.Message)
	}
	return t.Flush()
}

func writeWhoCan(w io.Writer, r query.WhoCanResult, showDenied bool) error {
	fmt.Fprintf(w, "%s in WorkCenter %s: %d collaborators can\n", r.Permission, r.WorkCenter, len(r.Allowed))
	t := table(w)
	if len(r.Allowed) > 0 {
		fmt.Fprintln(t, "COLLABORATOR\tTYPE\tHOW")
		for _, h := range r.Allowed {
			fmt.Fprintf(t, "%s\t%s\t%s\n", h.Collaborator, h.Type, howText(h.How))
		}
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if !showDenied {
		return nil
	}
	fmt.Fprintf(w, "\n%d assigned cannot\n", len(r.Denied))
	if len(r.Denied) == 0 {
		return nil
	}
	t = table(w)
	fmt.Fprintln(t, "COLLABORATOR\tTYPE\tSTEP\tWHY")
	for _, d := range r.Denied {
		fmt.Fprintf(t, "%s\t%s\t%d\t%s\n", d.Collaborator, d.Type, d.Step, d.Why)
	}
	return t.Flush()
}

func (o *options) matrix() *cobra.Command {
	width := -1
	cmd := &cobra.Command{
		Use:   "matrix [ROLE...]",
		Short: "Roles side by side against the permission catalog",
		Long: `matrix shows permissions (rows, grouped by area; member-only ones marked *) against
roles (columns: the given ones, or every role of the account, built-in first), then each
role's email options.

A text matrix wider than the terminal is paged: the role columns are split into pages
that fit its width, each page repeating the PERMISSION column under a line naming its
roles ("roles 1-6 of 53"). --width N pages to N columns instead; --width 0 never pages.
Written to a file or a pipe, the text matrix is one table unless --width is given.`,
		Example: `  kubectl procorem matrix -f config/samples
  kubectl procorem matrix contributor site-engineer -n acme -o markdown`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.checkOutput("text", "json", "markdown", "csv"); err != nil {
				return err
			}
			e, err := o.engine(cmd.Context())
			if err != nil {
				return err
			}
			for _, r := range args {
				if _, err := e.Role(r); err != nil {
					return err
				}
			}
			m := e.Matrix(args...)
			switch o.output {
			case "json":
				return writeJSON(o.stdout, m)
			case "csv":
				return writeMatrixCSV(o.stdout, m)
			case "markdown":
				return writeMatrixMarkdown(o.stdout, m)
			}
			if width < 0 {
				width = terminalWidth(o.stdout)
			}
			return writeMatrixText(o.stdout, m, width)
		},
	}
	cmd.Flags().IntVar(&width, "width", -1, "Page the text matrix's role columns to fit this many columns (0: never page; default: the terminal's width, or no paging when not a terminal)")
	return cmd
}

// terminalWidth is the width of w when it is a terminal, else 0.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}

// matrixPages splits the role columns (1..n-1 of rows) into pages whose table, with the
// first column, is at most width wide as tabwriter lays it out (two spaces between
// columns); each page has at least one role. width 0 is one page.
func matrixPages(rows [][]string, width int) [][]int {
	n := len(rows[0])
	widths := make([]int, n)
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	var pages [][]int
	var page []int
	used := widths[0]
	for i := 1; i < n; i++ {
		if width > 0 && len(page) > 0 && used+2+widths[i] > width {
			pages = append(pages, page)
			page, used = nil, widths[0]
		}
		page = append(page, i)
		used += 2 + widths[i]
	}
	return append(pages, page)
}

// matrixRows are the matrix's rows as cells: the header, then per area a heading row
// and its permissions, then the email options. yes/no are the cell marks.
func matrixRows(m query.Matrix, yes, no, on, off string, headings bool) [][]string {
	header := []string{"PERMISSION"}
	for _, r := range m.Roles {
		header = append(header, r.Name)
	}
	rows := [][]string{header}
	area := ""
	for _, p := range m.Permissions {
		if p.Area != area && headings {
			area = p.Area
			rows = append(rows, append([]string{"[" + area + "]"}, make([]string, len(m.Roles))...))
		}
		name := p.Permission
		if p.MemberOnly {
			name += " *"
		}
		row := []string{name}
		for i := range m.Roles {
			if m.Has(i, p.Permission) {
				row = append(row, yes)
			} else {
				row = append(row, no)
			}
		}
		rows = append(rows, row)
	}
	if headings {
		rows = append(rows, append([]string{"[email options]"}, make([]string, len(m.Roles))...))
	}
	for _, opt := range m.EmailOptions {
		row := []string{"email." + opt}
		for _, r := range m.Roles {
			if r.EmailNotifications[opt] {
				row = append(row, on)
			} else {
				row = append(row, off)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// writeMatrixText prints the matrix as a table, its role columns paged to width (0: one
// table).
func writeMatrixText(w io.Writer, m query.Matrix, width int) error {
	rows := matrixRows(m, "x", ".", "on", "off", true)
	pages := matrixPages(rows, width)
	for p, page := range pages {
		if len(pages) > 1 {
			if p > 0 {
				fmt.Fprintln(w)
			}
			if len(page) == 1 {
				fmt.Fprintf(w, "role %d of %d\n", page[0], len(rows[0])-1)
			} else {
				fmt.Fprintf(w, "roles %d-%d of %d\n", page[0], page[len(page)-1], len(rows[0])-1)
			}
		}
		t := table(w)
		for _, row := range rows {
			cells := []string{row[0]}
			for _, i := range page {
				cells = append(cells, row[i])
			}
			fmt.Fprintln(t, strings.Join(cells, "\t"))
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "* member-only: only a Member may hold a role that has it")
	for _, r := range m.Roles {
		if r.Error != "" {
			fmt.Fprintf(w, "%s: %s\n", r.Name, r.Error)
		}
	}
	return nil
}

func writeMatrixMarkdown(w io.Writer, m query.Matrix) error {
	rows := matrixRows(m, "✓", "", "on", "off", false)
	fmt.Fprintln(w, "| "+strings.Join(rows[0], " | ")+" |")
	fmt.Fprintln(w, "|"+strings.Repeat("---|", len(rows[0])))
	for _, row := range rows[1:] {
		row[0] = "`" + strings.TrimSuffix(row[0], " *") + "`" + map[bool]string{true: " \\*", false: ""}[strings.HasSuffix(row[0], " *")]
		fmt.Fprintln(w, "| "+strings.Join(row, " | ")+" |")
	}
	fmt.Fprintln(w, "\n\\* member-only: only a Member may hold a role that has it.")
	return nil
}

func writeMatrixCSV(w io.Writer, m query.Matrix) error {
	cw := csv.NewWriter(w)
	header := []string{"permission", "area", "memberOnly"}
	for _, r := range m.Roles {
		header = append(header, r.Name)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, p := range m.Permissions {
		row := []string{p.Permission, p.Area, fmt.Sprint(p.MemberOnly)}
		for i := range m.Roles {
			row = append(row, fmt.Sprint(m.Has(i, p.Permission)))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	for _, opt := range m.EmailOptions {
		row := []string{"email." + opt, "email", "false"}
		for _, r := range m.Roles {
			row = append(row, fmt.Sprint(r.EmailNotifications[opt]))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (o *options) access() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "access WHO",
		Short: "One collaborator across every WorkCenter: role, state, reason, permissions; member type and capabilities",
		Long: `access shows one collaborator (WHO: a name or an email, case-insensitive) across every
WorkCenter of the account: the role (or admin role) that gives access there, the
assignment's state and reason, and the permissions held. Then its member type
(docs/administration.md) and every account-level capability it holds, and where: in the
account, in every WorkCenter, or in the WorkCenters where a WorkCenter permission gives it.`,
		Example: `  kubectl procorem access jane.doe@steelworks-partner.example -f config/samples`,
		Args:    oneArg("WHO, a Collaborator's name or email"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.checkOutput("text", "json"); err != nil {
				return err
			}
			e, err := o.engine(cmd.Context())
			if err != nil {
				return err
			}
			c, err := e.Collaborator(args[0])
			if err != nil {
				return err
			}
			r := e.Access(c)
			if o.output == "json" {
				return writeJSON(o.stdout, r)
			}
			return writeAccess(o.stdout, r)
		},
	}
	return cmd
}

func writeAccess(w io.Writer, r query.AccessResult) error {
	head := fmt.Sprintf("%s (%s): %s, adminRole %s", r.Collaborator, r.Email, r.Type, r.AdminRole)
	if r.Licensed != nil {
		if *r.Licensed {
			head += ", licensed"
		} else {
			head += ", holds no license"
		}
	}
	fmt.Fprintln(w, head)
	t := table(w)
	fmt.Fprintln(t, "WORKCENTER\tROLE\tSTATE\tREASON\tPERMISSIONS")
	for _, wc := range r.WorkCenters {
		role, state, reason := "-", "-", ""
		if a := wc.Assignment; a != nil {
			role, state, reason = a.Role, a.State, a.Reason
			switch {
			case a.Source == string(v1alpha1.SourceSelector):
				role += " (selector)"
			case a.Source == string(v1alpha1.SourceTemplate):
				role += " (template " + a.Template + ")"
			}
		}
		if wc.Via != "" {
			role = wc.Via
			if state == "-" {
				state = "Active"
			}
		}
		name := wc.WorkCenter
		if wc.Archived {
			name += " (archived)"
		}
		if !wc.Exists {
			name += " (missing)"
		}
		perms := strings.Join(wc.Permissions, ", ")
		if len(wc.Permissions) == len(model.Catalog()) {
			perms = "all"
		}
		if len(wc.Permissions) == 0 {
			perms = "none: " + wc.Reason
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\n", name, role, state, reason, perms)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	return writeCapabilityAccess(w, r)
}

// writeCapabilityAccess prints the member type and the capabilities held, and where.
func writeCapabilityAccess(w io.Writer, r query.AccessResult) error {
	fmt.Fprintf(w, "\nmember type %s: %d of %d capabilities\n", r.MemberType, len(r.Capabilities), len(model.Capabilities()))
	if len(r.Capabilities) == 0 {
		if r.NoCapability != "" {
			fmt.Fprintf(w, "none: %s\n", r.NoCapability)
		}
		return nil
	}
	t := table(w)
	fmt.Fprintln(t, "CAPABILITY\tSCOPE\tWHERE")
	for _, c := range r.Capabilities {
		where := strings.Join(c.WorkCenters, ", ")
		if c.Everywhere {
			where = strings.TrimPrefix(query.Where(c.Scope, ""), "in ")
		}
		fmt.Fprintf(t, "%s\t%s\t%s\n", c.Capability, c.Scope, where)
	}
	return t.Flush()
}

func (o *options) recipients() *cobra.Command {
	var workCenter string
	cmd := &cobra.Command{
		Use:   "recipients OPTION --workcenter WC",
		Short: "Who is emailed when an email option's action happens in a WorkCenter, and who is not, and why",
		Long: `recipients lists who would be emailed when an action of OPTION happens in the
WorkCenter (--workcenter), each with the role assigned there that has the option on and
their delivery (Immediate or Digest); then who would not be, and why: no Account or a
Deactivated one, a Collaborator being deleted, an administrator not assigned there
(administrators are emailed only where assigned, by their role there), an assignment not
in effect (Pending, Rejected), an archived WorkCenter (nobody is emailed), the option off
in the role, or turned off by the person (spec.emailPreferences.disabled).

OPTION is an email option of a WorkCenterRole, named as its emailNotifications field:
fileUploaded, filesFoldersDeleted, fileVersionRestored, fileCommentAdded,
filesFoldersCopiedMoved, postCreated, postUpdated, postDeleted, collaboratorRemoved
(docs/email.md names the actions of each).`,
		Example: `  kubectl procorem recipients fileUploaded --workcenter tower-a -n acme
  kubectl procorem recipients postCreated --workcenter harbor-bridge -f config/samples -o json`,
		Args: oneArg("OPTION, an email option"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.checkOutput("text", "json"); err != nil {
				return err
			}
			option, err := query.EmailOption(args[0])
			if err != nil {
				return err
			}
			if workCenter == "" {
				return fmt.Errorf("--workcenter WC is required: emails are sent for an action in one WorkCenter")
			}
			e, err := o.engine(cmd.Context())
			if err != nil {
				return err
			}
			r, err := e.Recipients(option, workCenter)
			if err != nil {
				return err
			}
			if o.output == "json" {
				return writeJSON(o.stdout, r)
			}
			return writeRecipients(o.stdout, r)
		},
	}
	cmd.Flags().StringVar(&workCenter, "workcenter", "", "The WorkCenter where the action happens (required)")
	return cmd
}

// writeRecipients prints who is emailed, with the role and delivery, then who is not,
// with why.
func writeRecipients(w io.Writer, r query.RecipientsResult) error {
	where := "WorkCenter " + r.WorkCenter
	if r.Archived {
		where += " (archived)"
	}
	fmt.Fprintf(w, "%s (%s: %s) in %s: %d collaborators are emailed\n", r.Option, r.Title, strings.Join(r.Actions, "; "), where, len(r.Emailed))
	t := table(w)
	if len(r.Emailed) > 0 {
		fmt.Fprintln(t, "COLLABORATOR\tEMAIL\tROLE\tDELIVERY\tWHY")
		for _, p := range r.Emailed {
			fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\n", p.Collaborator, p.Email, p.Role, p.Delivery, p.Why)
		}
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d are not emailed\n", len(r.NotEmailed))
	if len(r.NotEmailed) == 0 {
		return nil
	}
	t = table(w)
	fmt.Fprintln(t, "COLLABORATOR\tROLE\tREASON\tWHY")
	for _, p := range r.NotEmailed {
		role := p.Role
		if role == "" {
			role = "-"
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\n", p.Collaborator, role, p.Reason, p.Why)
	}
	return t.Flush()
}
