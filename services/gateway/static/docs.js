// The API documentation page: Swagger UI (swagger-ui-dist from the npm registry, served by the gateway)
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,          // no call to an outside validator: the page works without internet
  tryItOutEnabled: false,
  persistAuthorization: true,
  docExpansion: "list",        // every operation listed, each opened on a click
  filter: true,
});
