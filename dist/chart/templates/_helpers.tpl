{{/*
The prefix of every object's name and the app.kubernetes.io/name label: the chart's
name, workcenter-operator, as config/default's namePrefix.
*/}}
{{- define "workcenter-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" }}
{{- end }}

{{/*
The labels of every object. Only app.kubernetes.io/name is also in config/default; the
others are Helm's own.
*/}}
{{- define "workcenter-operator.labels" -}}
app.kubernetes.io/name: {{ include "workcenter-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/*
The manager Pod's labels, which the Deployment and the Services select: the same as
config/default's, so an install can move from kustomize to Helm.
*/}}
{{- define "workcenter-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "workcenter-operator.name" . }}
control-plane: controller-manager
{{- end }}

{{/* The manager's ServiceAccount: serviceAccount.name, or <name>-controller-manager as config/default names it. */}}
{{- define "workcenter-operator.serviceAccountName" -}}
{{- default (printf "%s-controller-manager" (include "workcenter-operator.name" .)) .Values.serviceAccount.name }}
{{- end }}

{{/* The manager's image, also run by the helm test Pod. */}}
{{- define "workcenter-operator.image" -}}
"{{ .Values.manager.image.repository }}:{{ .Values.manager.image.tag | default .Chart.AppVersion }}"
{{- end }}

{{/* The Secret the manager reads its webhook serving certificate from. */}}
{{- define "workcenter-operator.webhookSecretName" -}}
{{- if .Values.certManager.enable -}}
webhook-server-cert
{{- else -}}
{{ required "webhook.certificate.secretName is required when certManager.enable is false: name a kubernetes.io/tls Secret for the webhook server" .Values.webhook.certificate.secretName }}
{{- end -}}
{{- end }}
