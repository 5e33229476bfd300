// Starts Swagger UI on the API docs page. A static file, not inline: the portal's
// Content-Security-Policy allows no inline script. Settings come from data- attributes.
"use strict";
(function () {
  const root = document.getElementById("swagger-ui");
  const csrfHeader = root.dataset.csrfHeader;
  const csrfToken = root.dataset.csrfToken;
  window.ui = SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // "Try it out" with the session: state changes carry the CSRF token, as the API requires.
    requestInterceptor: function (request) {
      if (request.method && request.method !== "GET" && csrfHeader) {
        request.headers[csrfHeader] = csrfToken;
      }
      return request;
    },
  });
})();
