package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/wire"
)

// transcriptPage is how many messages are read from the store at a time.
const transcriptPage = 500

// allMessages reads a séance's whole history, page by page.
func (s *Server) allMessages(ctx context.Context, id string) ([]seance.Message, error) {
	var all []seance.Message
	var after int64
	for {
		page, err := s.Store.Messages(ctx, id, after, transcriptPage)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < transcriptPage {
			return all, nil
		}
		after = page[len(page)-1].Seq
	}
}

func (s *Server) transcript(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "md"
	}
	if format != "md" && format != "json" {
		s.fail(w, r, seance.Errorf(seance.EValidation, `format must be "md" or "json".`).With("field", "format"))
		return
	}
	sess, err := s.Store.Session(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msgs, err := s.allMessages(r.Context(), sess.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="seance-%s.%s"`, sess.ID, format))
	if format == "json" {
		s.ok(w, r, http.StatusOK, struct {
			Session  wire.Session   `json:"session"`
			Messages []wire.Message `json:"messages"`
		}{s.viewSession(r.Context(), sess), wire.MessagesOf(msgs)})
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	_, _ = w.Write([]byte(markdown(sess, msgs)))
}

// markdown renders a séance as a readable document: a heading, when and with
// which spirit, then each question and answer.
func markdown(sess *seance.Session, msgs []seance.Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Séance: %s\n\n", escapeMarkdown(sess.Name))
	fmt.Fprintf(&b, "- Began: %s\n", sess.CreatedAt.Format(time.RFC1123))
	if sess.EndedAt != nil {
		fmt.Fprintf(&b, "- Ended: %s\n", sess.EndedAt.Format(time.RFC1123))
	}
	fmt.Fprintf(&b, "- Spirit: %s\n- Messages: %d\n\n---\n\n", sess.Spirit, len(msgs))
	if len(msgs) == 0 {
		b.WriteString("_The spirits were silent._\n")
	}
	for _, m := range msgs {
		at := m.Timestamp.Format("15:04:05")
		if m.IsSpirit {
			fmt.Fprintf(&b, "> **%s** (%s): %s\n\n", escapeMarkdown(m.UserName), at, escapeMarkdown(m.Text))
			if m.Safety != nil && m.Safety.Help != nil {
				// The help shown beside the board, kept with the answer.
				fmt.Fprintf(&b, "> _Help: %s_", escapeMarkdown(m.Safety.Help.Text))
				if m.Safety.Help.URL != "" {
					fmt.Fprintf(&b, " <%s>", m.Safety.Help.URL)
				}
				b.WriteString("\n\n")
			}
			continue
		}
		fmt.Fprintf(&b, "**%s** (%s): %s\n\n", escapeMarkdown(m.UserName), at, escapeMarkdown(m.Text))
	}
	return b.String()
}

// escapeMarkdown keeps user text from becoming markup (a name of "**" or a
// question starting with "#") while leaving it readable.
func escapeMarkdown(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '*', '_', '`', '#', '[', ']', '<', '>', '|', '~':
			b.WriteByte('\\')
		case '\n', '\r':
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
