// Fills the server panel from /api/v1/health, so the page shows whether the server and its
// database answer.
const show = (id, text) => { document.getElementById(id).textContent = text; };

async function loadHealth() {
  const line = document.getElementById("status-line");
  try {
    const response = await fetch("/api/v1/health", { headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
    show("server-id", body.server_id);
    show("schema-version", String(body.schema_version));
    show("fieldline-version", body.version);
    show("created-at", body.created_at);
    line.textContent = "Server and database are up";
    line.dataset.state = "ok";
  } catch (err) {
    line.textContent = `The server did not answer: ${err.message}`;
    line.dataset.state = "error";
  }
}

loadHealth();
