// Client-side routing: every path is answered with index.html, and the app
// shows which path it was opened at.
document.querySelector("#app").textContent = `hello from node-vite at ${location.pathname}`;
