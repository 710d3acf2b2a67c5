import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/integrations/database/schema.ts',
  out: './drizzle',
});
