// Root layout options: the app is a client-only SPA (live map + websockets), so nothing is server-rendered or prerendered.
export const ssr = false;
export const prerender = false;
