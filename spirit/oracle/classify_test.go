package oracle

import (
	"slices"
	"testing"
)

func TestRead(t *testing.T) {
	tests := []struct {
		q       string
		intent  intent
		yesNo   bool
		subject string
		options []string
		egg     egg
	}{
		{q: "Will my cat come home?", intent: intentYesNo, yesNo: true, subject: "your cat"},
		{q: "Hello! Will it rain?", intent: intentYesNo, yesNo: true},
		{q: "Oh great spirit, tell me if I will pass.", intent: intentYesNo, yesNo: true},
		{q: "Do you know where my keys are?", intent: intentWhere, subject: "your keys"},
		{q: "Do you know my grandmother?", intent: intentYesNo, yesNo: true, subject: "your grandmother"},
		{q: "What is the future of our startup?", intent: intentWhat, subject: "the future"},
		{q: "Tell me about your past", intent: intentSelf, subject: "my past"},
		{q: "Tell me about the old mill.", intent: intentWhat, subject: "the old mill"},
		{q: "What time will Bram arrive?", intent: intentWhen, subject: "Bram"},
		{q: "How come the door opens?", intent: intentWhy, subject: "the door"},
		{q: "How many ghosts are here?", intent: intentNumber, subject: "ghosts"},
		{q: "How soon?", intent: intentWhen},
		{q: "Should I eat pizza or tacos?", intent: intentChoice, options: []string{"pizza", "tacos"}},
		{q: "Should I stay or go?", intent: intentChoice, options: []string{"stay", "go"}},
		{q: "Should I move to Paris or stay in London?", intent: intentChoice, options: []string{"move to Paris", "stay in London"}},
		{q: "Will Ada or Bram win?", intent: intentChoice, options: []string{"Ada", "Bram"}},
		{q: "Is it Ada or Bram the culprit?", intent: intentChoice, options: []string{"Ada", "Bram"}},
		{q: "Should we go to the beach or the mountains tonight?", intent: intentChoice, options: []string{"beach", "mountains"}},
		{q: "Should I text him or wait?", intent: intentChoice, options: []string{"text him", "wait"}},
		{q: "Cats or dogs?", intent: intentChoice, options: []string{"cats", "dogs"}},
		{q: "Is this real or not?", intent: intentYesNo, yesNo: true},
		{q: "Will it work, yes or no?", intent: intentYesNo, yesNo: true},
		{q: "Who are you?", intent: intentSelf},
		{q: "Are you real?", intent: intentYesNo, yesNo: true},
		{q: "Do you think I will pass?", intent: intentYesNo, yesNo: true},
		{q: "What do you see in my future?", intent: intentWhat, subject: "your future"},
		{q: "Good evening, spirit.", intent: intentGreeting},
		{q: "Hello, how are you?", intent: intentGreeting},
		{q: "Hello, who are you?", intent: intentSelf},
		{q: "Thanks!", intent: intentThanks},
		{q: "Thanks! Will I pass?", intent: intentYesNo, yesNo: true},
		{q: "Goodbye!", intent: intentFarewell},
		{q: "Goodbye, will we meet again?", intent: intentFarewell, yesNo: true},
		{q: "See you next time", intent: intentFarewell},
		{q: "Will I see you again?", intent: intentYesNo, yesNo: true},
		{q: "Later tonight, who will call?", intent: intentWho},
		{q: "Is anyone there?", intent: intentEgg, yesNo: true, egg: eggAnyone},
		{q: "Has anyone here seen a ghost?", intent: intentYesNo, yesNo: true},
		{q: "Is my ex's new flat haunted?", intent: intentYesNo, yesNo: true, subject: "your ex's new flat"},
		{q: "HELLO WORLD", intent: intentEgg, egg: eggHelloWorld},
		{q: "I had a strange dream.", intent: intentOpen, subject: "a strange dream"},
		{q: "I know what you did.", intent: intentOpen},
		{q: "", intent: intentOpen},
		{q: "???", intent: intentOpen},
	}
	lx := newLexicon()
	for _, tt := range tests {
		r := lx.read(tt.q)
		if r.intent != tt.intent || r.yesNo != tt.yesNo || r.egg != tt.egg {
			t.Errorf("read(%q) = %s, yes/no %v, egg %q; want %s, %v, %q", tt.q, r.intent, r.yesNo, r.egg, tt.intent, tt.yesNo, tt.egg)
		}
		if tt.subject != "" && r.subject != tt.subject {
			t.Errorf("read(%q).subject = %q, want %q", tt.q, r.subject, tt.subject)
		}
		if !slices.Equal(r.options, tt.options) {
			t.Errorf("read(%q).options = %q, want %q", tt.q, r.options, tt.options)
		}
	}
}

func TestSameKey(t *testing.T) {
	for _, tt := range []struct {
		q, key string
		want   bool
	}{
		{"Will I pass?", "will i pass", true},
		{"will  i PASS", "will i pass", true},
		{"Will I pass it?", "will i pass", false},
		{"Will I", "will i pass", false},
		{"", "", true},
	} {
		if got := sameKey(words(tt.q), tt.key); got != tt.want {
			t.Errorf("sameKey(%q, %q) = %v", tt.q, tt.key, got)
		}
	}
}
