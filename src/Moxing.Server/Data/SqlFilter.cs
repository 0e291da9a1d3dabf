using System.Text;

namespace Moxing.Server.Data;

/// <summary>
/// A WHERE clause of the optional conditions whose value is given (null: the condition is left out), so a query never tests a
/// NULL parameter (PostgreSQL cannot type it) and each filter can use its index.
/// </summary>
public static class SqlFilter
{
    /// <summary>" WHERE a AND b …" of the conditions with a value (empty with none), and their parameters.</summary>
    public static (string Sql, (string Name, object? Value)[] Parameters) Where(params (string Condition, string Parameter, object? Value)[] conditions)
    {
        var sql = new StringBuilder();
        var parameters = new List<(string, object?)>(conditions.Length);
        foreach (var (condition, parameter, value) in conditions)
        {
            if (value is null) continue;
            sql.Append(parameters.Count == 0 ? " WHERE " : " AND ").Append(condition);
            parameters.Add((parameter, value));
        }
        return (sql.ToString(), parameters.ToArray());
    }
}
