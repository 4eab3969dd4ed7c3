/** The current route, following the URL hash (links, back and forward, reloads). */
import { parseRoute, routeHref, type Route } from '#renderer/lib/route.ts';

class Router {
  route = $state<Route>(parseRoute(location.hash));

  constructor() {
    window.addEventListener('hashchange', () => {
      this.route = parseRoute(location.hash);
    });
  }

  /** Changes the URL without a history entry: for refinements of a view (filter, sort). */
  replace(route: Route): void {
    history.replaceState(history.state, '', routeHref(route));
    this.route = route;
  }

  /** Navigates to a route, adding a history entry. */
  go(route: Route): void {
    location.hash = routeHref(route);
  }
}

/** The window's router. */
export const router = new Router();
