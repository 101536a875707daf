// 报文形态 the JSON form of a hub type: what a value becomes once the HTTP API or the live channel has sent it. Both
// Fastify's serializer and JSON.stringify write a Date as its ISO 8601 string; the rest of a record goes as it is. The
// web app reads the hub's answers as `Serialized<HubType>` (type-only imports, erased from its bundle), so a field is
// declared once, on the hub, and renaming it there fails the web's type check instead of breaking a screen silently.

/** `T` as JSON: every Date (also nested, in arrays, or `Date | null`) a string; objects and arrays keep their shape. */
export type Serialized<T> = T extends Date ? string : T extends object ? { [K in keyof T]: Serialized<T[K]> } : T;
