// Starts GraphiQL on the registry's own page (registry/api/graphiql.py). The page's defaults (first
// query, and in development the demo leader's token) are in the JSON element #graphiql-defaults.
(function () {
  "use strict";
  var defaults = JSON.parse(document.getElementById("graphiql-defaults").textContent);
  var url = window.location.href.split(/[?#]/)[0];
  var fetcher = GraphiQL.createFetcher({ url: url });

  function Registry() {
    var state = React.useState(defaults.query);
    var query = state[0], setQuery = state[1];
    var explorer = GraphiQLPluginExplorer.useExplorerPlugin({ query: query, onEdit: setQuery });
    var props = {
      fetcher: fetcher,
      plugins: [explorer],
      query: query,
      onEditQuery: setQuery,
      defaultQuery: defaults.query,
      isHeadersEditorEnabled: true,
      // A token kept from an earlier start would be stale: the page's own defaults win every time.
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    };
    if (defaults.headers) {
      props.defaultHeaders = defaults.headers;
      props.headers = defaults.headers;
      props.defaultEditorToolsVisibility = "headers";
    }
    if (defaults.showDocs) {
      props.visiblePlugin = "Documentation Explorer";
    }
    return React.createElement(GraphiQL, props);
  }

  ReactDOM.render(React.createElement(Registry), document.getElementById("graphiql"));
})();
