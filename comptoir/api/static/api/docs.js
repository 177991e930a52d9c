// The API reference page: Swagger UI reads the schema whose address the page gives.
// A file of ours rather than an inline script, so that the Content-Security-Policy needs no exception.
window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") return;
  window.SwaggerUIBundle({
    url: root.dataset.schema,
    domNode: root,
    deepLinking: true,
    // No call to the public validator service: nothing leaves the site.
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
