package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/datamodel"
)

func newDatamodelCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "datamodel",
		Short: "Print the data model (datasets, fields, vendor sources) as Markdown",
		Long:  "Print the data model as Markdown. docs/DATAMODEL.md is this command's output.",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprint(cmd.OutOrStdout(), datamodel.Markdown(components.Formats()))
		},
	}
}
