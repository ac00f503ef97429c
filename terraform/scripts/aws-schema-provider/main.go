// Command icefloe-aws-schema-provider is a schema-only stand-in for the hashicorp/aws provider, so
// that `tofu validate` and `tofu test` (with `mock_provider "aws"`) can check the aws workspace
// offline: the real provider cannot be built here (about 1.2 GB).
//
// It serves the aws provider's own schema (argument and attribute names, types, required/optional/
// computed flags, nested blocks), exported by tests/terraform/aws_schema.py from PyPI
// cdktn-provider-aws (generated from `providers schema -json` of hashicorp/aws), read from the file
// named by ICEFLOE_AWS_STUB_SCHEMA. Validation calls succeed (the schema checks are OpenTofu's own);
// it never plans, applies or reads anything: under `tofu test` the mock provider does that.
//
// It is built inside OpenTofu's source tree (terraform/scripts/build-tools.sh copies it to
// cmd/icefloe-aws-schema-provider) to reuse OpenTofu's plugin server and schema types.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/opentofu/opentofu/internal/configs/configschema"
	"github.com/opentofu/opentofu/internal/grpcwrap"
	"github.com/opentofu/opentofu/internal/plugin"
	"github.com/opentofu/opentofu/internal/providers"
	"github.com/opentofu/opentofu/internal/tfdiags"
	"github.com/opentofu/opentofu/internal/tfplugin5"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

type jsonAttr struct {
	Type     json.RawMessage `json:"type"`
	Required bool            `json:"required"`
	Optional bool            `json:"optional"`
	Computed bool            `json:"computed"`
}

type jsonBlockType struct {
	Min   int       `json:"min"`
	Max   int       `json:"max"`
	Block jsonBlock `json:"block"`
}

type jsonBlock struct {
	Attributes map[string]jsonAttr      `json:"attributes"`
	Blocks     map[string]jsonBlockType `json:"blocks"`
}

type jsonSchema struct {
	ProviderVersion string               `json:"provider_version"`
	Provider        jsonBlock            `json:"provider"`
	Resources       map[string]jsonBlock `json:"resources"`
	DataSources     map[string]jsonBlock `json:"data_sources"`
}

func (b jsonBlock) convert() (*configschema.Block, error) {
	out := &configschema.Block{
		Attributes: map[string]*configschema.Attribute{},
		BlockTypes: map[string]*configschema.NestedBlock{},
	}
	for name, a := range b.Attributes {
		ty, err := ctyjson.UnmarshalType(a.Type)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		out.Attributes[name] = &configschema.Attribute{Type: ty, Required: a.Required, Optional: a.Optional, Computed: a.Computed}
	}
	for name, nb := range b.Blocks {
		inner, err := nb.Block.convert()
		if err != nil {
			return nil, fmt.Errorf("block %s: %w", name, err)
		}
		out.BlockTypes[name] = &configschema.NestedBlock{Block: *inner, Nesting: configschema.NestingList, MinItems: nb.Min, MaxItems: nb.Max}
	}
	return out, nil
}

func convertAll(in map[string]jsonBlock) (map[string]providers.Schema, error) {
	out := make(map[string]providers.Schema, len(in))
	for name, b := range in {
		block, err := b.convert()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = providers.Schema{Block: block}
	}
	return out, nil
}

type stub struct {
	providers.Interface // nil: any call not listed below is not supported by a schema-only provider
	schema              providers.GetProviderSchemaResponse
}

func (s *stub) GetProviderSchema(context.Context) providers.GetProviderSchemaResponse {
	return s.schema
}
func (s *stub) GetFunctions(context.Context) providers.GetFunctionsResponse {
	return providers.GetFunctionsResponse{Functions: map[string]providers.FunctionSpec{}}
}
func (s *stub) ValidateProviderConfig(_ context.Context, r providers.ValidateProviderConfigRequest) providers.ValidateProviderConfigResponse {
	return providers.ValidateProviderConfigResponse{PreparedConfig: r.Config}
}
func (s *stub) ValidateResourceConfig(context.Context, providers.ValidateResourceConfigRequest) providers.ValidateResourceConfigResponse {
	return providers.ValidateResourceConfigResponse{}
}
func (s *stub) ValidateDataResourceConfig(context.Context, providers.ValidateDataResourceConfigRequest) providers.ValidateDataResourceConfigResponse {
	return providers.ValidateDataResourceConfigResponse{}
}
func (s *stub) ValidateEphemeralConfig(context.Context, providers.ValidateEphemeralConfigRequest) providers.ValidateEphemeralConfigResponse {
	return providers.ValidateEphemeralConfigResponse{}
}
func (s *stub) ConfigureProvider(context.Context, providers.ConfigureProviderRequest) providers.ConfigureProviderResponse {
	return providers.ConfigureProviderResponse{}
}

// UpgradeResourceState hands the stored state back unchanged (the schema has one version); `tofu
// test` calls it when it destroys what a run "applied" with the mock provider.
func (s *stub) UpgradeResourceState(_ context.Context, r providers.UpgradeResourceStateRequest) providers.UpgradeResourceStateResponse {
	var resp providers.UpgradeResourceStateResponse
	res, ok := s.schema.ResourceTypes[r.TypeName]
	if !ok {
		resp.Diagnostics = resp.Diagnostics.Append(fmt.Errorf("no resource type %q in the aws schema", r.TypeName))
		return resp
	}
	v, err := ctyjson.Unmarshal(r.RawStateJSON, res.Block.ImpliedType())
	if err != nil {
		resp.Diagnostics = resp.Diagnostics.Append(err)
		return resp
	}
	resp.UpgradedState = v
	return resp
}

func (s *stub) Stop(context.Context) error  { return nil }
func (s *stub) Close(context.Context) error { return nil }

func load(path string) (providers.GetProviderSchemaResponse, error) {
	var resp providers.GetProviderSchemaResponse
	raw, err := os.ReadFile(path)
	if err != nil {
		return resp, err
	}
	var js jsonSchema
	if err := json.Unmarshal(raw, &js); err != nil {
		return resp, err
	}
	provider, err := js.Provider.convert()
	if err != nil {
		return resp, err
	}
	resp.Provider = providers.Schema{Block: provider}
	resp.ProviderMeta = providers.Schema{Block: &configschema.Block{}}
	if resp.ResourceTypes, err = convertAll(js.Resources); err != nil {
		return resp, err
	}
	if resp.DataSources, err = convertAll(js.DataSources); err != nil {
		return resp, err
	}
	resp.EphemeralResources = map[string]providers.Schema{}
	return resp, nil
}

func main() {
	path := os.Getenv("ICEFLOE_AWS_STUB_SCHEMA")
	schema, err := load(path)
	if err != nil {
		schema.Diagnostics = schema.Diagnostics.Append(tfdiags.Sourceless(tfdiags.Error,
			"icefloe aws schema provider: no schema",
			fmt.Sprintf("cannot read ICEFLOE_AWS_STUB_SCHEMA=%q (%s); it is written by tests/terraform/aws_schema.py", path, err)))
	}
	plugin.Serve(&plugin.ServeOpts{
		GRPCProviderFunc: func() tfplugin5.ProviderServer { return grpcwrap.Provider(&stub{schema: schema}) },
	})
}
