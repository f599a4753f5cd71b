// apps/admin: another member of the workspace; building apps/web leaves it
// (and its dependencies) out of the image.
const isNumber = require("is-number");
console.log("admin", isNumber(1));
