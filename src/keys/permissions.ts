// The closed set of permissions a key can hold, and which /v1 route needs which.

export const PERMISSIONS = [
  { id: "chat:read", description: "Chat completions (POST /v1/chat/completions)" },
  { id: "embeddings:read", description: "Embedding generation (POST /v1/embeddings)" },
  { id: "models:list", description: "List and retrieve models (GET /v1/models, GET /v1/models/:id)" },
] as const;

export type Permission = (typeof PERMISSIONS)[number]["id"];

export const ALL_PERMISSIONS: Permission[] = PERMISSIONS.map((p) => p.id);

export function isPermission(value: string): value is Permission {
  return (ALL_PERMISSIONS as string[]).includes(value);
}
