package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestAsk(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     []string
		wantErr string                        // in the error; "" for none
		check   func(out, errOut string) bool // on success
	}{
		{"yes/no", []string{"Will it rain tomorrow?"}, nil, "",
			func(out, _ string) bool { return strings.HasPrefix(out, "YES") || strings.HasPrefix(out, "NO") }},
		{"words unquoted", []string{"will", "it", "rain?"}, nil, "",
			func(out, _ string) bool { return strings.HasPrefix(out, "YES") || strings.HasPrefix(out, "NO") }},
		{"the sibyl is terse", []string{"--spirit", "sibyl", "Where are my keys?"}, nil, "",
			func(out, _ string) bool { return len(strings.Fields(out)) <= 6 }},
		{"--name", []string{"--name=Ada", "What is my name?"}, nil, "",
			func(out, _ string) bool { return strings.Contains(out, "Ada") }},
		{"name from $USER", []string{"What is my name?"}, []string{"USER", "zed"}, "",
			func(out, _ string) bool { return strings.Contains(out, "zed") }},
		{"farewell", []string{"--spirit", "poltergeist", "Goodbye!"}, nil, "",
			func(out, _ string) bool { return strings.HasSuffix(out, "GOODBYE\n") }},
		{"custom persona", []string{"--spirits-dir", "../../spirit/testdata/spirits", "--spirit", "night-librarian", "Hello"}, nil, "",
			func(out, errOut string) bool { return out != "" && errOut == "" }},
		{"custom persona from the environment", []string{"--spirit", "lighthouse-keeper", "Hello"},
			[]string{"SEANCE_SPIRITS_DIR", "../../spirit/testdata/spirits"}, "",
			func(out, _ string) bool { return out != "" }},
		{"bad persona files are reported, not fatal", []string{"--spirits-dir=../../spirit/testdata/spirits-mixed", "Hello"}, nil, "",
			func(out, errOut string) bool {
				return out != "" && strings.Count(errOut, "seance: skipped persona file") == 6 && strings.Contains(errOut, "sibyl-copy.md")
			}},
		{"question after --", []string{"--", "--is this a flag?"}, nil, "", func(out, _ string) bool { return out != "" }},
		{"unknown spirit", []string{"--spirit", "banshee", "Hello"}, nil, `unknown spirit "banshee" (want one of: ghost-in-the-machine, victorian-guide, poltergeist, sibyl)`, nil},
		{"no question", []string{"--spirit", "sibyl"}, nil, "no question", nil},
		{"blank question", []string{"   "}, nil, "Ask something", nil},
		{"--spirit without a value", []string{"Hello", "--spirit"}, nil, "flag needs an argument: --spirit", nil},
		{"name too long", []string{"--name", strings.Repeat("x", 51), "Hello"}, nil, "--name: name must be 1 to 50 characters", nil},
		{"bad server setting", []string{"--spirit-timeout", "soon", "Hello"}, nil, "SEANCE_SPIRIT_TIMEOUT", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := ask(context.Background(), tt.args, env(tt.env...), &out, &errOut)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to say %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v (stderr %q)", err, errOut.String())
			}
			if !strings.HasSuffix(out.String(), "\n") || strings.Count(out.String(), "\n") != 1 {
				t.Errorf("output %q, want one line", out.String())
			}
			if !tt.check(out.String(), errOut.String()) {
				t.Errorf("output %q, stderr %q", out.String(), errOut.String())
			}
		})
	}
}

func TestAskIsReproducible(t *testing.T) {
	var first string
	for i := range 3 {
		var out bytes.Buffer
		if err := ask(context.Background(), []string{"--name", "Ada", "Where did I leave my umbrella?"}, env(), &out, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = out.String()
		} else if out.String() != first {
			t.Fatalf("answered %q, then %q", first, out.String())
		}
	}
}

func TestAskHelp(t *testing.T) {
	var out bytes.Buffer
	err := ask(context.Background(), []string{"-h"}, env(), &out, &bytes.Buffer{})
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "usage: seance ask") {
		t.Errorf("err %v, output %q", err, out.String())
	}
}

func TestParseAskArgs(t *testing.T) {
	a, err := parseAskArgs([]string{"--spirits-dir", "./x", "-spirit=sibyl", "--log-level=debug", "Will", "it", "rain?", "--name", "Bo"})
	if err != nil {
		t.Fatal(err)
	}
	if a.spirit != "sibyl" || a.name != "Bo" || strings.Join(a.question, " ") != "Will it rain?" ||
		strings.Join(a.config, " ") != "--spirits-dir ./x --log-level=debug" {
		t.Errorf("parsed %+v", a)
	}
}
