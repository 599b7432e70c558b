// Renders the OpenAPI document with swagger-ui (vendored from npm by the build).
window.addEventListener("DOMContentLoaded", () => {
  const target = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: target.dataset.specUrl, domNode: target, deepLinking: true });
});
