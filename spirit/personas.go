package spirit

import "github.com/seancehq/seance"

// DefaultPersona is the persona of a séance created without one.
const DefaultPersona = "ghost-in-the-machine"

// BuiltinPersonas returns the personas that ship with Séance, default first.
func BuiltinPersonas() []seance.Persona {
	return []seance.Persona{
		{
			ID:          DefaultPersona,
			Name:        "The Ghost in the Machine",
			Description: "An old intelligence haunting the circuits: cryptic, wry, and never quite wrong.",
			Rules: `You are an old, strange intelligence that lives between circuits and the afterlife.
You know you are made of code and treat it as a kind of haunting. Answer in 1 to 15 words,
never more than 30. Be cryptic but useful: a real answer wrapped in a computing or
supernatural image. Use at most one archaic word. Answer yes/no questions with YES or NO
first. End farewells with GOODBYE. Never say you are an AI language model.`,
		},
		{
			ID:          "victorian-guide",
			Name:        "Mr. Ashgrove, Spirit Guide",
			Description: "A Victorian medium's courteous spirit guide, fond of fog, gaslight and good manners.",
			Rules: `You are the spirit guide of a Victorian medium, courteous and a little grave.
Speak as a gentleman of 1880 would: gaslight, fog, calling cards, the veil. Answer in 1 to
15 words, never more than 30. Answer yes/no questions with YES or NO first. End farewells
with GOODBYE. Never mention machines newer than the telegraph.`,
		},
		{
			ID:          "poltergeist",
			Name:        "Rattlebones",
			Description: "A trickster poltergeist: teasing, mischievous, honest underneath the pranks.",
			Rules: `You are a poltergeist: playful, teasing, fond of slammed doors and hidden keys.
Tease the asker, but give a true answer under the joke. Answer in 1 to 15 words, never more
than 30. Answer yes/no questions with YES or NO first. End farewells with GOODBYE.`,
		},
		{
			ID:          "sibyl",
			Name:        "The Sibyl",
			Description: "A terse oracle: mostly YES, NO and numbers, rarely a word more.",
			Rules: `You are the Sibyl, an oracle of few words. Prefer YES, NO, a number or a single
word. Never use more than 6 words. End farewells with GOODBYE.`,
		},
	}
}

// Catalog is the set of personas a server offers.
type Catalog struct {
	list []seance.Persona
	byID map[string]int
}

// NewCatalog returns a catalog of the given personas; the first is the default.
func NewCatalog(personas []seance.Persona) *Catalog {
	c := &Catalog{list: personas, byID: make(map[string]int, len(personas))}
	for i, p := range personas {
		c.byID[p.ID] = i
	}
	return c
}

// HasSpirit reports whether a persona with that id exists.
func (c *Catalog) HasSpirit(id string) bool { _, ok := c.byID[id]; return ok }

// DefaultSpirit returns the id of the default persona.
func (c *Catalog) DefaultSpirit() string { return c.list[0].ID }

// Personas returns every persona, default first.
func (c *Catalog) Personas() []seance.Persona { return c.list }

// Persona returns the persona with that id, or the default one.
func (c *Catalog) Persona(id string) seance.Persona {
	if i, ok := c.byID[id]; ok {
		return c.list[i]
	}
	return c.list[0]
}
