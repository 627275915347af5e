package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/config"
	"github.com/seancehq/seance/safety"
	"github.com/seancehq/seance/wire"
)

const askUsage = `usage: seance ask [--spirit ID] [--name NAME] [--json] [server flags] "question"

Asks the spirit one question and prints its answer, with the engine, the
personas and the safety settings the server would use (SEANCE_SPIRIT_*,
SEANCE_SPIRITS_DIR, SEANCE_HELP_FILE, or the same settings as flags:
"seance serve -h" lists them). A question about a life at risk prints the
help a séance would show beside the board.

  --spirit ID   the persona to ask (default: the default persona)
  --name NAME   who asks (default: $USER, else "Seeker")
  --json        print {"message", "safety", "spirit", "engine"}
`

// askSessionID stands for the séance of a question asked from the terminal:
// the same question gets the same answer from the oracle every time.
const askSessionID = "seance-ask"

// ask answers one question in the terminal: seance ask [--spirit ID]
// [--name NAME] "question". Every other flag is a server setting, so that a
// persona or a provider can be tried exactly as the server would run it.
func ask(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	a, err := parseAskArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, askUsage)
		return err
	}
	if err != nil {
		return fmt.Errorf("ask: %w\n%s", err, askUsage)
	}
	cfg, err := config.Parse(a.config, getenv, stderr)
	if err != nil {
		return err
	}
	text, err := seance.QuestionText(strings.Join(a.question, " "))
	if err != nil {
		return fmt.Errorf("ask: %s\n%s", seance.ErrorMessage(err), askUsage)
	}
	name := a.name
	if name == "" {
		name = getenv("USER")
	}
	if name == "" {
		name = "Seeker"
	}
	if name, err = seance.ParticipantName(name); err != nil {
		return fmt.Errorf("ask: --name: %s", seance.ErrorMessage(err))
	}

	catalog, problems := newCatalog(cfg)
	for _, p := range problems {
		fmt.Fprintf(stderr, "seance: skipped %v\n", p)
	}
	persona := catalog.DefaultSpirit()
	if a.spirit != "" {
		if !catalog.HasSpirit(a.spirit) {
			var ids []string
			for _, p := range catalog.Personas() {
				ids = append(ids, p.ID)
			}
			return fmt.Errorf("ask: unknown spirit %q (want one of: %s)", a.spirit, strings.Join(ids, ", "))
		}
		persona = a.spirit
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sp, err := newSpirit(cfg, catalog, safety.New(), log, nil)
	if err != nil {
		return fmt.Errorf("ask: %w", err)
	}

	now := time.Now()
	ans, err := sp.Answer(ctx, seance.Question{
		SessionID:    askSessionID,
		Persona:      persona,
		Message:      seance.Message{ID: "question", SessionID: askSessionID, UserID: "terminal", UserName: name, Text: text, Timestamp: seance.Timestamp(now)},
		Participants: []string{name},
		At:           now,
	}, func(string) {})
	if err != nil {
		return fmt.Errorf("ask: %w", err)
	}
	if a.json {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(askResult{Message: ans.Text, Safety: wire.SafetyOf(ans.Safety), Spirit: persona, Engine: ans.Engine})
	}
	if _, err := fmt.Fprintln(stdout, ans.Text); err != nil {
		return err
	}
	if ans.Safety != nil && ans.Safety.Help != nil {
		_, err = fmt.Fprintf(stdout, "\n%s\n%s\n", ans.Safety.Help.Text, ans.Safety.Help.URL)
	}
	return err
}

// askResult is what --json prints.
type askResult struct {
	Message string       `json:"message"`
	Safety  *wire.Safety `json:"safety"`
	Spirit  string       `json:"spirit"`
	Engine  string       `json:"engine"`
}

type askArgs struct {
	spirit, name string
	json         bool
	question     []string
	config       []string // server settings, for config.Parse
}

// parseAskArgs separates ask's own flags and the question's words from the
// server's flags. Every server flag takes a value, which is how a flag's
// value is told from the question: "--spirits-dir ./x Will it rain?".
func parseAskArgs(args []string) (askArgs, error) {
	var a askArgs
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			a.question = append(a.question, args[i+1:]...)
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			a.question = append(a.question, arg)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		switch name {
		case "h", "help":
			return a, flag.ErrHelp
		case "json":
			a.json = !hasValue || value == "true"
			if hasValue && value != "true" && value != "false" {
				return a, fmt.Errorf("--json takes no value, or true or false: %q", value)
			}
		case "spirit", "name":
			if !hasValue {
				if i+1 == len(args) {
					return a, fmt.Errorf("flag needs an argument: --%s", name)
				}
				i++
				value = args[i]
			}
			if name == "spirit" {
				a.spirit = value
			} else {
				a.name = value
			}
		default:
			a.config = append(a.config, arg)
			if !hasValue && i+1 < len(args) {
				i++
				a.config = append(a.config, args[i])
			}
		}
	}
	if len(a.question) == 0 {
		return a, errors.New("no question")
	}
	return a, nil
}
