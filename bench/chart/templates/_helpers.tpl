{{- define "shop.labels" -}}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "shop.resources" -}}
resources:
  limits: {cpu: 250m, memory: 256Mi}
  requests: {cpu: 62m, memory: 128Mi}
{{- end -}}
{{- define "shop.dbenv" -}}
- name: DATABASE_URL
  valueFrom: {secretKeyRef: {name: postgresql-credentials, key: url}}
- name: PGHOST
  value: postgresql
- name: PGPORT
  value: "5432"
- name: PGUSER
  value: app
- name: PGPASSWORD
  valueFrom: {secretKeyRef: {name: postgresql-credentials, key: password}}
- name: PGDATABASE
  value: app
{{- end -}}
