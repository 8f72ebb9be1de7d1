package procorem

import (
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/workcenter-io/workcenter-operator/internal/manifests"
)

// The JUnit XML of `test --junit`: a testsuite per test file, a testcase per test, a
// failure per failed test (its failed assertions in its text), and bad input, which runs
// no test, as a testcase with an error, so that CI shows it rather than nothing.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// junitReport is the run's results, and runErr (bad input) as an error in the suite of
// the file it is about (the first of files no result is from, when it names none).
func junitReport(files []string, run TestRun, runErr error) junitSuites {
	out := junitSuites{Name: "kubectl procorem test"}
	suite := func(file string) *junitSuite {
		for i := range out.Suites {
			if out.Suites[i].Name == file {
				return &out.Suites[i]
			}
		}
		out.Suites = append(out.Suites, junitSuite{Name: file})
		return &out.Suites[len(out.Suites)-1]
	}
	for _, r := range run.Results {
		s := suite(r.File)
		c := junitCase{Name: r.Name, Classname: r.File, File: r.File, Line: r.Line}
		if !r.Passed {
			var text strings.Builder
			for _, f := range r.Failures {
				writeFailure(&text, f, "")
			}
			c.Failure = &junitProblem{Message: fmt.Sprintf("%s failed", plural(len(r.Failures), "assertion")), Type: "AssertionFailed", Text: text.String()}
			s.Failures++
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	if runErr != nil {
		first, detail := errorLines(runErr)
		file := ""
		for _, f := range files {
			if strings.Contains(first+detail, f) {
				file = f
				break
			}
		}
		if file == "" && len(files) > 0 {
			file = files[len(files)-1]
			for _, f := range files {
				if !slicesContainsFile(run.Results, f) {
					file = f
					break
				}
			}
		}
		s := suite(file)
		s.Tests++
		s.Errors++
		s.Cases = append(s.Cases, junitCase{Name: "input", Classname: file, File: file,
			Error: &junitProblem{Message: first, Type: "InputError", Text: first + "\n" + detail}})
	}
	for _, s := range out.Suites {
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
	}
	return out
}

func slicesContainsFile(rs []TestResult, file string) bool {
	for _, r := range rs {
		if r.File == file {
			return true
		}
	}
	return false
}

// errorLines is an error as the plugin prints it: its first line and the lines under it.
func errorLines(err error) (first, detail string) {
	var d detailedError
	var located *manifests.LocatedError
	switch {
	case errors.As(err, &d):
		return oneLine(d.msg), d.detail
	case errors.As(err, &located):
		first, detail := located.Lines()
		return oneLine(first), detail
	}
	return oneLine(err.Error()), ""
}

// writeJUnitFile writes the JUnit XML of the run to path.
func writeJUnitFile(path string, files []string, run TestRun, runErr error) error {
	data, err := xml.MarshalIndent(junitReport(files, run, runErr), "", "  ")
	if err != nil {
		return err
	}
	data = append([]byte(xml.Header), append(data, '\n')...)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("--junit: %s", oneLine(err.Error()))
	}
	return nil
}
