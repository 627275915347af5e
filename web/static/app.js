// The Séance web app.
