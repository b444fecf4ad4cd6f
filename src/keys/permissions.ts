// The closed set of permissions a key can hold, and which /v1 route needs which.

export const PERMISSIONS = [
  {
    id: "chat:read",
    description:
      "Text generation: chat completions, completions, the Responses API, audio transcription and translation, tokenize and detokenize",
  },
  {
    id: "embeddings:read",
    description: "Pooling models: embeddings, rerank, score, classify and pooling",
  },
  { id: "models:list", description: "List and retrieve models" },
] as const;

export type Permission = (typeof PERMISSIONS)[number]["id"];

export const ALL_PERMISSIONS: Permission[] = PERMISSIONS.map((p) => p.id);

export function isPermission(value: string): value is Permission {
  return (ALL_PERMISSIONS as string[]).includes(value);
}
